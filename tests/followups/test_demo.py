from typing import Any

from surveyor.demo.followups import seed_followups


async def test_demo_seeds_every_status_once(services: Any) -> None:
    from surveyor.auth import store as auth

    for i in range(2):
        await auth.create_user(
            services.db, email=f"m{i}@demo.test", role="manager", name="M", password_hash="x"
        )
    lines: list[str] = []
    await seed_followups(services, lines.append)
    await seed_followups(services, lines.append)
    rows = await services.db.fetch_all(
        "SELECT status, count(*) AS n FROM followups GROUP BY status"
    )
    assert {r["status"] for r in rows} == {"new", "in_progress", "waiting", "resolved", "closed"}
    assert sum(r["n"] for r in rows) == 9
    assert await services.db.fetch_val("SELECT count(*) FROM followups WHERE recovered = 1") >= 1
    assert lines[-1] == "Follow-up cases exist already."
