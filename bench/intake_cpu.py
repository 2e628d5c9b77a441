"""CPU time of each request of the comment flow, in-process, on SQLite.

`python -m bench.intake_cpu [--comments 300]` opens the form, submits a letter-length comment
(long enough for the form-letter check) and opens the receipt through Flask's test client, one
resident address each, and prints the median and 90th-percentile process CPU time of each of
the three requests (the POST without what runs after its response). Run it on two checkouts to
compare them: CPU time moves much less with the machine's load than wall time does, but a quiet
machine is still best.
"""

import argparse
import re
import statistics
import tempfile
import time
from pathlib import Path

from engagement import create_app
from engagement.db import Base, db
from engagement.geography.operations import load_geography

LETTER = (
    "Dear Council Members, I am writing as a resident to ask you to vote no on the proposed "
    "six month pilot of facial recognition. The city decided in 2021 that this technology was "
    "too dangerous to use, and nothing about the software has changed since then. Comment {n}."
)
TOKEN = re.compile(r'name="(csrf_token|submission_token)" type="hidden" value="([^"]*)"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--comments", type=int, default=300)
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="submit-cpu-"))
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}",
            "SECRET_KEY": "bench",
            "COMMENT_RATE_LIMIT": "100000 per minute",
            "STATUS_LOOKUP_RATE_LIMIT": "100000 per minute",
            "MAIL_OUTBOX": str(folder / "outbox"),
        }
    )
    with app.app_context():
        Base.metadata.create_all(db.engine)
        load_geography(db.session)
        from tests.factories import make_consultation

        slug = make_consultation(db.session).slug
        db.session.commit()
    client = app.test_client()
    cpu: dict[str, list[float]] = {"form": [], "submit": [], "receipt": []}
    for n in range(options.comments):
        address = {"REMOTE_ADDR": f"127.1.{n // 250}.{n % 250 + 1}"}
        started = time.process_time()
        page = client.get(f"/en/consultations/{slug}", environ_base=address).text
        cpu["form"].append(time.process_time() - started)
        fields = dict(TOKEN.findall(page))
        fields.update(body=LETTER.format(n=n), position="oppose", topics="privacy")
        fields.update(neighborhood="seward", display_name="", contact_email="", website="")
        started = time.process_time()
        answer = client.post(
            f"/en/consultations/{slug}/comments", data=fields, environ_base=address
        )
        # The response body has been produced; what runs when it is closed (jobs on the
        # embedded default) is not part of the request.
        cpu["submit"].append(time.process_time() - started)
        assert answer.status_code == 303, answer.status_code
        answer.close()
        started = time.process_time()
        receipt = client.get(answer.location, environ_base=address)
        cpu["receipt"].append(time.process_time() - started)
        assert receipt.status_code == 200
    for name, times in cpu.items():
        warm = times[20:]
        print(
            f"{name:8} CPU, {len(warm)} requests after 20 warm-up: "
            f"median {statistics.median(warm) * 1000:.2f} ms, "
            f"p90 {statistics.quantiles(warm, n=10)[-1] * 1000:.2f} ms"
        )


if __name__ == "__main__":
    main()
