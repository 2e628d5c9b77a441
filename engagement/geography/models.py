from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engagement.db import Base

neighborhood_wards = Table(
    "neighborhood_wards",
    Base.metadata,
    Column("neighborhood_id", ForeignKey("neighborhoods.id"), primary_key=True),
    Column("ward_number", ForeignKey("wards.number"), primary_key=True),
)


class Community(Base):
    __tablename__ = "communities"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(120))

    neighborhoods: Mapped[list["Neighborhood"]] = relationship(
        back_populates="community", order_by="Neighborhood.name"
    )


class Ward(Base):
    __tablename__ = "wards"

    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)

    neighborhoods: Mapped[list["Neighborhood"]] = relationship(
        secondary=neighborhood_wards, back_populates="wards"
    )


class Neighborhood(Base):
    __tablename__ = "neighborhoods"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    #: Official names are proper nouns and stay as the City writes them, in every language.
    name: Mapped[str] = mapped_column(String(120))
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)

    #: The outline as a GeoJSON geometry (WGS 84), loaded by ``flask import-boundaries``; the
    #: council map is drawn from it and left out while no boundaries are loaded.
    boundary: Mapped[dict[str, Any] | None] = mapped_column(JSON, deferred=True)

    community: Mapped[Community] = relationship(back_populates="neighborhoods")
    #: A neighborhood can lie in more than one ward; some small overlaps are not listed.
    wards: Mapped[list[Ward]] = relationship(
        secondary=neighborhood_wards, back_populates="neighborhoods", order_by=Ward.number
    )
