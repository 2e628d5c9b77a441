"""Finding form letters: comments that are copies of one text with small edits.

How a copy is recognised:

1. A comment's text becomes a set of *shingles*: every run of three consecutive words, after
   folding case and accents and dropping punctuation. Editing a few words of a letter changes
   few of its shingles; two people writing on the same topic in their own words share few.
2. Two comments are copies when the Jaccard similarity of their shingle sets (shared shingles
   over all shingles) is at least ``SIMILARITY``. Comments shorter than ``MIN_WORDS`` words are
   never matched: a short "I oppose this" is an opinion many people share, not a letter.
3. Comparing every pair would not scale, so each comment gets a MinHash signature (datasketch)
   cut into ``BANDS`` bands; comments that share a band are *candidates*, and only candidates
   are compared. The bands are stored (``SignatureBand``) so that a new comment finds its
   candidates with one indexed query. For each band a comment is compared with the *first*
   comment that had that band value, so the incremental match (``match_comment``, at
   submission) and the full rebuild (``rebuild_campaigns``, over comments in the order they
   arrived) make the same comparisons and find the same campaigns.
4. Matches are transitive: copies of copies join one campaign, and a comment that matches two
   campaigns merges them (the older campaign stays).

Every received comment is matched, whatever its status: moderators see campaigns in the queue,
and the tallies decide what they count.
"""

import hashlib
import re
import unicodedata
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
from datasketch import MinHash
from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from engagement import versions
from engagement.campaigns.models import Campaign, SignatureBand
from engagement.comments.models import PUBLISHED_STATUSES, Comment
from engagement.consultations.models import Consultation
from engagement.db import utcnow
from engagement.moderation.flags import Flag
from engagement.moderation.models import CommentFlag

SHINGLE_WORDS = 3
MIN_WORDS = 25
SIMILARITY = 0.7
PERMUTATIONS = 64
BANDS = 16
ROWS_PER_BAND = PERMUTATIONS // BANDS
#: Fixed, so signatures stored today match signatures computed next year.
SIGNATURE_SEED = 20261126
#: datasketch's permutation scheme, named so a library upgrade cannot change it silently.
SCHEME = "affine32"
_WORD = re.compile(r"\w+")
#: The combining marks NFKD splits off accented Latin letters ("é" → "e" + U+0301).
_COMBINING_MARKS = re.compile(
    r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]"
)
_BATCH = 2_000


def _words(text: str) -> list[str]:
    """The text's words, with case and accents folded."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    if not folded.isascii():
        folded = _COMBINING_MARKS.sub("", folded)
    return _WORD.findall(folded)


def could_be_a_copy(text: str) -> bool:
    """Whether a text is long enough to be compared at all (the cheap part of ``shingles``)."""
    return len(_words(text)) >= MIN_WORDS


def shingles(text: str) -> np.ndarray | None:
    """The sorted, distinct 32-bit hashes of the text's word triples; None if it is too short."""
    words = _words(text)
    if len(words) < MIN_WORDS:
        return None
    triples = {
        " ".join(words[i : i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1)
    }
    # CRC-32: fast, and the same in every process and on every machine (unlike hash()).
    return np.unique(np.fromiter((zlib.crc32(t.encode()) for t in triples), dtype=np.uint64))


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Jaccard similarity of two shingle sets from ``shingles``."""
    shared = len(np.intersect1d(a, b, assume_unique=True))
    return shared / (len(a) + len(b) - shared)


def band_keys(shingle_hashes: np.ndarray) -> list[int]:
    """The comment's ``BANDS`` band values: signed 64-bit integers, as the database stores."""
    return _band_keys(_signature(shingle_hashes))


@cache
def _permutations() -> Any:
    """The MinHash permutations for our seed, drawn once (drawing them is most of a MinHash's
    set-up cost)."""
    return MinHash(num_perm=PERMUTATIONS, seed=SIGNATURE_SEED, scheme=SCHEME).permutations


def _signature(shingle_hashes: np.ndarray) -> np.ndarray:
    signature = MinHash(
        num_perm=PERMUTATIONS,
        seed=SIGNATURE_SEED,
        hashfunc=int,
        permutations=_permutations(),
        scheme=SCHEME,
    )
    signature.update_batch(shingle_hashes.tolist())
    return signature.hashvalues


def _band_keys(hashvalues: np.ndarray) -> list[int]:
    rows = hashvalues.astype(np.uint64).reshape(BANDS, ROWS_PER_BAND)
    return [
        int.from_bytes(
            hashlib.blake2b(row.tobytes(), digest_size=8).digest(), "little", signed=True
        )
        for row in rows
    ]


def match_comment(session: Session, comment: Comment) -> Campaign | None:
    """Record a new comment's signature and put it in a campaign if it copies earlier ones.

    One insert of the bands, one indexed query for at most ``BANDS`` candidates, and their
    texts compared. Matches of one consultation are made one at a time (a lock on its row): two
    copies of a letter checked at the same moment by two workers would otherwise each miss the
    other.
    """
    comment.copies_checked_at = utcnow()
    hashes = shingles(comment.body)
    if hashes is None:
        return None
    # FOR NO KEY UPDATE: matches wait for each other, but comments being stored (whose foreign
    # key takes FOR KEY SHARE on the consultation) never wait for a match.
    session.execute(
        select(Consultation.id)
        .where(Consultation.id == comment.consultation_id)
        .with_for_update(key_share=True)
    )
    keys = band_keys(hashes)
    earliest = session.execute(
        select(SignatureBand.band, func.min(SignatureBand.comment_id))
        .where(
            SignatureBand.consultation_id == comment.consultation_id,
            or_(
                *(
                    and_(SignatureBand.band == band, SignatureBand.key == key)
                    for band, key in enumerate(keys)
                )
            ),
        )
        .group_by(SignatureBand.band)
    ).all()
    session.execute(insert(SignatureBand), _band_rows(comment.id, comment.consultation_id, keys))
    candidate_ids = sorted({comment_id for _, comment_id in earliest} - {comment.id})
    if not candidate_ids:
        return None
    candidates = session.execute(
        select(Comment.id, Comment.body, Comment.campaign_id).where(Comment.id.in_(candidate_ids))
    ).all()
    copies = [
        (comment_id, campaign_id)
        for comment_id, body, campaign_id in candidates
        if (other := shingles(body)) is not None and similarity(hashes, other) >= SIMILARITY
    ]
    if not copies:
        return None
    return _join(session, comment.consultation_id, [comment.id], copies)


def _join(
    session: Session,
    consultation_id: int,
    new_ids: list[int],
    copies: Sequence[tuple[int, int | None]],
) -> Campaign:
    """Put the comments and their copies in one campaign, merging campaigns they already had."""
    campaign_ids = sorted({campaign_id for _, campaign_id in copies if campaign_id is not None})
    if campaign_ids:
        campaign = session.get_one(Campaign, campaign_ids[0])
        merged = campaign_ids[1:]
        if merged:
            moved = session.scalars(select(Comment.id).where(Comment.campaign_id.in_(merged)))
            _set_campaign(session, list(moved), campaign.id)
            session.execute(delete(Campaign).where(Campaign.id.in_(merged)))
    else:
        campaign = Campaign(consultation_id=consultation_id)
        session.add(campaign)
        session.flush()
    members = [*new_ids, *(comment_id for comment_id, campaign_id in copies if campaign_id is None)]
    _set_campaign(session, members, campaign.id)
    _flag_copies(session, members)
    return campaign


def _set_campaign(session: Session, comment_ids: list[int], campaign_id: int | None) -> None:
    """Point comments at a campaign in one statement, and refresh the ones already loaded."""
    for start in range(0, len(comment_ids), _BATCH):
        session.execute(
            update(Comment)
            .where(Comment.id.in_(comment_ids[start : start + _BATCH]))
            .values(campaign_id=campaign_id)
            .execution_options(synchronize_session=False)
        )
    published = session.scalar(
        select(Comment.id)
        .where(Comment.id.in_(comment_ids[:_BATCH]), Comment.status.in_(PUBLISHED_STATUSES))
        .limit(1)
    )
    if published is not None or len(comment_ids) > _BATCH:
        versions.bump(session, versions.PUBLIC)  # the tallies count campaigns once
    ids = set(comment_ids)
    for loaded in session.identity_map.values():
        if isinstance(loaded, Comment) and loaded.id in ids:
            session.expire(loaded, ["campaign_id", "campaign"])


def _flag_copies(session: Session, comment_ids: Iterable[int]) -> None:
    ids = list(comment_ids)
    flagged = set(
        session.scalars(
            select(CommentFlag.comment_id).where(
                CommentFlag.comment_id.in_(ids), CommentFlag.flag == Flag.COPIES
            )
        )
    )
    rows = [{"comment_id": i, "flag": Flag.COPIES} for i in ids if i not in flagged]
    if rows:
        session.execute(insert(CommentFlag), rows)


def _band_rows(comment_id: int, consultation_id: int, keys: list[int]) -> list[dict[str, int]]:
    return [
        {"comment_id": comment_id, "band": band, "consultation_id": consultation_id, "key": key}
        for band, key in enumerate(keys)
    ]


@dataclass(frozen=True)
class Rebuild:
    comments: int
    matched: int
    campaigns: int


def rebuild_campaigns(
    session: Session,
    consultation: Consultation,
    progress: Callable[[int, int], None] | None = None,
) -> Rebuild:
    """Forget the consultation's campaigns and find them again over every comment, oldest first.

    Used after the matching rules change, or to check the incremental matches. Holds the
    shingles of at most one comment per band value in memory. ``progress(done, total)`` is told
    after each batch of comments.
    """
    total = (
        session.scalar(select(func.count()).where(Comment.consultation_id == consultation.id)) or 0
    )
    comment_ids = select(Comment.id).where(Comment.consultation_id == consultation.id)
    session.execute(
        delete(CommentFlag).where(
            CommentFlag.comment_id.in_(comment_ids), CommentFlag.flag == Flag.COPIES
        )
    )
    session.execute(
        update(Comment)
        .where(Comment.consultation_id == consultation.id)
        .values(campaign_id=None, copies_checked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    versions.bump(session, versions.PUBLIC)
    session.execute(delete(Campaign).where(Campaign.consultation_id == consultation.id))
    session.execute(delete(SignatureBand).where(SignatureBand.consultation_id == consultation.id))

    first_holder: list[dict[int, int]] = [{} for _ in range(BANDS)]
    held: dict[int, np.ndarray] = {}
    parent: dict[int, int] = {}
    count = 0
    for batch in _comments_in_order(session, consultation.id):
        rows: list[dict[str, int]] = []
        for comment_id, body in batch:
            count += 1
            hashes = shingles(body)
            if hashes is None:
                continue
            keys = band_keys(hashes)
            rows.extend(_band_rows(comment_id, consultation.id, keys))
            candidates = sorted(
                {
                    holders[key]
                    for holders, key in zip(first_holder, keys, strict=True)
                    if key in holders
                }
            )
            for candidate in candidates:
                if similarity(hashes, held[candidate]) >= SIMILARITY:
                    _union(parent, candidate, comment_id)
            keeps = False
            for holders, key in zip(first_holder, keys, strict=True):
                if key not in holders:
                    holders[key] = comment_id
                    keeps = True
            if keeps:
                held[comment_id] = hashes
        if rows:
            session.execute(insert(SignatureBand), rows)
        if progress is not None:
            progress(count, total)

    groups: dict[int, list[int]] = {}
    for comment_id in parent:
        groups.setdefault(_root(parent, comment_id), []).append(comment_id)
    matched = 0
    for members in sorted(groups.values(), key=min):
        campaign = Campaign(consultation_id=consultation.id)
        session.add(campaign)
        session.flush()
        _set_campaign(session, members, campaign.id)
        for start in range(0, len(members), _BATCH):
            _flag_copies(session, members[start : start + _BATCH])
        matched += len(members)
    session.expire_all()
    return Rebuild(comments=count, matched=matched, campaigns=len(groups))


def _comments_in_order(session: Session, consultation_id: int) -> Iterator[list[tuple[int, str]]]:
    last_id = 0
    while True:
        batch = session.execute(
            select(Comment.id, Comment.body)
            .where(Comment.consultation_id == consultation_id, Comment.id > last_id)
            .order_by(Comment.id)
            .limit(_BATCH)
        ).all()
        if not batch:
            return
        last_id = batch[-1][0]
        yield [(comment_id, body) for comment_id, body in batch]


def _root(parent: dict[int, int], node: int) -> int:
    while parent[node] != node:
        parent[node] = parent[parent[node]]
        node = parent[node]
    return node


def _union(parent: dict[int, int], a: int, b: int) -> None:
    parent.setdefault(a, a)
    parent.setdefault(b, b)
    root_a, root_b = _root(parent, a), _root(parent, b)
    if root_a != root_b:
        parent[max(root_a, root_b)] = min(root_a, root_b)
