"""A national consultation's memorandum: its time and memory at two sizes.

Run from the repository root::

    .venv/bin/python bench/consultation.py [--sizes 2000 20000] [--clauses 5]
                                           [--database-url URL] [--redis-url URL] [--json FILE]

For each size N (participants), on a fresh migrated database (a SQLite file in a temporary
folder, or ``--database-url``: a PostgreSQL database named ``bench_*`` whose schema is reset):

1. Stores, with bulk INSERTs of 5,000 rows, N contacts (English, Kiswahili, Kikamba in turn, in
   the demo's counties and wards), a consultation of ``--clauses`` clauses, one position per
   participant and clause (N x clauses: 100,000 at 20,000 people x 5), one comment per
   participant (N: 20,000) of which 5% may be quoted, a codebook of 8 themes, and two coders'
   codings of every comment (1-2 themes each; the second coder differs on one in five).
2. Generates the memorandum as a Word file (:func:`memorandum_docx`) and the CSV export
   (streamed, every chunk read), each timed on its own, then each again under ``tracemalloc``
   for its peak of Python memory (allocations during the call, the process's before it left
   out). Also the process's peak RSS so far (``ru_maxrss``: it only grows, so a flat figure
   across sizes says the larger size needed nothing more).
3. Checks the Word file: its first table's participants sum to N.

Prints each size and the ratios of the largest to the smallest, with PASS/FAIL against the
targets: the Word file in under 30 s at the largest size, its peak memory within 25% of the
smallest size's. Exits 0 either way: it is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.radio_burst import fresh_database, redis_for  # noqa: E402

CHUNK = 5000
TARGET_S = 30.0
MEMORY_GROWTH = 1.25
THEMES = ("water", "compensation", "jobs", "royalties", "information", "land", "health", "dust")
PLACES = (
    ("Kitui", "Mui"),
    ("Kitui", "Nuu"),
    ("Kitui", "Kanziku"),
    ("Kwale", "Ramisi"),
    ("Kwale", "Vanga"),
    ("Taita Taveta", "Mwatate"),
    ("Migori", "Macalder/Kanyarwanda"),
    ("Kakamega", "Idakho South"),
)
WORDS = (
    "The river at Mui has been black since blasting began; who pays for clean water?",
    "Maji ya kisima yamekauka tangu mgodi ufunguliwe, na hakuna fidia.",
    "Give the jobs at the mine to our young people first, then to others.",
    "Ten percent of the royalty is too little for the dust we breathe every day.",
)


@dataclass
class Run:
    participants: int
    positions: int
    comments: int
    seed_s: float
    docx_s: float
    docx_bytes: int
    docx_peak_mb: float
    csv_s: float
    csv_bytes: int
    csv_peak_mb: float
    max_rss_mb: float


def _chunks(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def seed(app: Any, participants: int, clauses: int) -> int:
    """Store the consultation and everyone's rows; its id."""
    from sqlalchemy import insert, select

    from gateway.consultations.models import (
        STANCES,
        Clause,
        Coding,
        Comment,
        CommentTheme,
        Consultation,
        Position,
        Theme,
    )
    from gateway.contacts.models import Contact
    from gateway.extensions import db, utcnow
    from gateway.users.models import User

    rng = random.Random(2026)
    with app.app_context():
        now = utcnow()
        consultation = Consultation(
            keyword="BENCH",
            title={"en": "Bench consultation"},
            draft_name="Mining (Community Development Agreement) Regulations - bench",
            issuing_body="Ministry of Mining",
            opens_at=now - timedelta(days=30),
            closes_at=now - timedelta(days=1),
            invited_at=now - timedelta(days=30),
            clauses=[
                Clause(number=n, reference=f"Regulation {n}", summary={"en": f"Clause {n}."})
                for n in range(1, clauses + 1)
            ],
        )
        coders = [
            User(
                email=f"coder{n}@bench.example", name=f"Coder {n}", role="admin", password_hash="x"
            )
            for n in (1, 2)
        ]
        db.session.add_all([consultation, *coders])
        db.session.flush()
        themes = [Theme(consultation_id=consultation.id, name=name) for name in THEMES]
        db.session.add_all(themes)
        db.session.commit()
        cid, clause_ids = consultation.id, [c.id for c in consultation.clauses]
        theme_ids, coder_ids = [t.id for t in themes], [c.id for c in coders]

        def people() -> Iterator[dict[str, Any]]:
            for n in range(participants):
                county, ward = PLACES[n % len(PLACES)]
                yield {
                    "phone": f"+2547{n:08d}",
                    "language": ("en", "sw", "kam")[n % 3],
                    "county": county,
                    "ward": ward,
                    "consent_at": now,
                    "created_at": now,
                }

        for batch in _chunks(people()):
            db.session.execute(insert(Contact), batch)
        db.session.commit()
        contacts = db.session.execute(
            select(Contact.id, Contact.county, Contact.ward, Contact.language).order_by(Contact.id)
        ).all()

        def positions() -> Iterator[dict[str, Any]]:
            for contact_id, county, ward, language in contacts:
                channel = ("ussd", "sms", "voice", "ussd")[contact_id % 4]
                for clause_id in clause_ids:
                    yield {
                        "consultation_id": cid,
                        "clause_id": clause_id,
                        "contact_id": contact_id,
                        "stance": rng.choice(STANCES),
                        "channel": channel,
                        "county": county,
                        "ward": ward,
                        "language": language,
                        "updated_at": now,
                    }

        def comments() -> Iterator[dict[str, Any]]:
            for contact_id, county, ward, language in contacts:
                quoted = rng.random() < 0.05
                yield {
                    "consultation_id": cid,
                    "clause_id": rng.choice(clause_ids),
                    "contact_id": contact_id,
                    "text": rng.choice(WORDS),
                    "channel": "sms",
                    "county": county,
                    "ward": ward,
                    "language": language,
                    "quote_ok": quoted,
                    "quoted": quoted,
                    "created_at": now,
                }

        for batch in _chunks(positions()):
            db.session.execute(insert(Position), batch)
        for batch in _chunks(comments()):
            db.session.execute(insert(Comment), batch)
        db.session.commit()
        comment_ids = db.session.scalars(
            select(Comment.id).where(Comment.consultation_id == cid).order_by(Comment.id)
        ).all()

        def codings() -> Iterator[dict[str, Any]]:
            for comment_id in comment_ids:
                for coder_id in coder_ids:
                    yield {"comment_id": comment_id, "coder_id": coder_id, "coded_at": now}

        def given() -> Iterator[dict[str, Any]]:
            for comment_id in comment_ids:
                chosen = rng.sample(theme_ids, rng.choice((1, 2)))
                for coder_id in coder_ids:
                    seen = chosen
                    if coder_id == coder_ids[1] and rng.random() < 0.2:
                        seen = [rng.choice(theme_ids)]
                    for theme_id in seen:
                        yield {"comment_id": comment_id, "theme_id": theme_id, "coder_id": coder_id}

        for batch in _chunks(codings()):
            db.session.execute(insert(Coding), batch)
        for batch in _chunks(given()):
            db.session.execute(insert(CommentTheme), batch)
        db.session.commit()
        return cid


def timed(call: Callable[[], int]) -> tuple[float, int]:
    started = time.perf_counter()
    size = call()
    return time.perf_counter() - started, size


def peak_mb(call: Callable[[], int]) -> float:
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def measure(app: Any, consultation_id: int, participants: int, clauses: int, seed_s: float) -> Run:
    import docx

    from gateway.consultations.export import export_csv
    from gateway.consultations.memorandum import memorandum_docx
    from gateway.consultations.models import Consultation
    from gateway.extensions import db

    with app.test_request_context():
        consultation = db.session.get(Consultation, consultation_id)
        assert consultation is not None

        def word() -> int:
            return len(memorandum_docx(consultation, "en"))

        def export() -> int:
            return sum(len(chunk.encode()) for chunk in export_csv(consultation))

        word()  # once before timing: templates, catalogs and python-docx's own imports
        docx_s, docx_bytes = timed(word)
        csv_s, csv_bytes = timed(export)
        docx_peak, csv_peak = peak_mb(word), peak_mb(export)
        document = docx.Document(io.BytesIO(memorandum_docx(consultation, "en")))
        counted = sum(
            int(row.cells[1].text.replace(",", "")) for row in document.tables[0].rows[1:]
        )
        assert counted == participants, (counted, participants)
        db.session.remove()
    return Run(
        participants=participants,
        positions=participants * clauses,
        comments=participants,
        seed_s=seed_s,
        docx_s=docx_s,
        docx_bytes=docx_bytes,
        docx_peak_mb=docx_peak,
        csv_s=csv_s,
        csv_bytes=csv_bytes,
        csv_peak_mb=csv_peak,
        max_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    )


def app_for(database_url: str, redis_url: str) -> Any:
    from dataclasses import replace

    from gateway import create_app
    from gateway.settings import load_settings

    settings = replace(
        load_settings({}, Path(__file__).resolve().parent.parent / "instance"),
        database_url=database_url,
        redis_url=redis_url,
        secret_key="bench",
    )
    return create_app({"GATEWAY": settings})


def report(runs: list[Run]) -> None:
    print(
        f"{'people':>8} {'positions':>9} {'comments':>8} {'seed s':>7} {'docx s':>7}"
        f" {'docx KB':>8} {'docx MB peak':>12} {'csv s':>6} {'csv MB':>7} {'csv MB peak':>11}"
        f" {'max RSS MB':>10}"
    )
    for r in runs:
        print(
            f"{r.participants:>8,} {r.positions:>9,} {r.comments:>8,} {r.seed_s:>7.1f}"
            f" {r.docx_s:>7.2f} {r.docx_bytes / 1024:>8.0f} {r.docx_peak_mb:>12.2f}"
            f" {r.csv_s:>6.2f} {r.csv_bytes / 1e6:>7.2f} {r.csv_peak_mb:>11.2f}"
            f" {r.max_rss_mb:>10.0f}"
        )
    small, large = runs[0], runs[-1]
    growth = large.docx_peak_mb / small.docx_peak_mb
    csv_growth = large.csv_peak_mb / small.csv_peak_mb
    scale = large.participants / small.participants
    print(
        f"x{scale:.0f} the people: docx time x{large.docx_s / small.docx_s:.2f}, "
        f"docx peak x{growth:.2f}, csv time x{large.csv_s / small.csv_s:.2f}, "
        f"csv peak x{csv_growth:.2f}"
    )
    print(
        f"{'PASS' if large.docx_s < TARGET_S else 'FAIL'}: memorandum in {large.docx_s:.2f} s "
        f"at {large.participants:,} people x {large.positions // large.participants} clauses "
        f"(target < {TARGET_S:.0f} s)"
    )
    print(
        f"{'PASS' if growth <= MEMORY_GROWTH else 'FAIL'}: memorandum peak memory "
        f"x{growth:.2f} from {small.participants:,} to {large.participants:,} people "
        f"(target <= x{MEMORY_GROWTH})"
    )
    print(
        f"{'PASS' if csv_growth <= MEMORY_GROWTH else 'FAIL'}: CSV export peak memory "
        f"x{csv_growth:.2f} (target <= x{MEMORY_GROWTH})"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 20000])
    parser.add_argument("--clauses", type=int, default=5)
    parser.add_argument("--database-url", help="a PostgreSQL database named bench_*")
    parser.add_argument("--redis-url", help="a Redis database of the bench's own (flushed)")
    parser.add_argument("--json", type=Path, help="write the runs here too")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    runs = []
    for size in sorted(args.sizes):
        with tempfile.TemporaryDirectory(prefix="hmk-consultation-") as tmp:
            with redis_for(args.redis_url, Path(tmp) / "redis") as redis_url:
                database_url = fresh_database(args.database_url, Path(tmp), redis_url)
                app = app_for(database_url, redis_url)
                started = time.perf_counter()
                cid = seed(app, size, args.clauses)
                seed_s = time.perf_counter() - started
                runs.append(measure(app, cid, size, args.clauses, seed_s))
                with app.app_context():
                    from gateway.extensions import db

                    db.engine.dispose()
        print(f"  {size:,} people done", flush=True)
    report(runs)
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in runs], indent=2))


if __name__ == "__main__":
    main()
