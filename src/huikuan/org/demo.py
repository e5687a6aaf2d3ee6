"""Demo teams and users with known passwords, printed by `make demo`. Never for production."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from huikuan import clock
from huikuan.org.models import Role, Team, TrainingKind, TrainingRecord, User

DEMO_PASSWORD = "huikuan-demo"


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: Role
    team: str | None
    first_name: str
    last_name: str


DEMO_USERS = (
    DemoUser("admin", Role.ADMIN, None, "管理员", ""),
    DemoUser("lead1", Role.TEAM_LEAD, "一组", "芳", "王"),
    DemoUser("collector1", Role.COLLECTOR, "一组", "丽", "李"),
    DemoUser("collector2", Role.COLLECTOR, "一组", "强", "张"),
    DemoUser("lead2", Role.TEAM_LEAD, "二组", "刚", "赵"),
    DemoUser("collector3", Role.COLLECTOR, "二组", "敏", "陈"),
    DemoUser("collector4", Role.COLLECTOR, "二组", "伟", "刘"),
    DemoUser("qa1", Role.QA, None, "悦", "孙"),
    DemoUser("legal1", Role.LEGAL, None, "静", "周"),
)


def ensure_demo_users() -> list[User]:
    users = []
    for spec in DEMO_USERS:
        # The demo's teams follow the China pack's training rule; their collectors passed the yearly course.
        team = (
            Team.objects.get_or_create(name=spec.team, defaults={"training_required": True})[0] if spec.team else None
        )
        user, created = User.objects.get_or_create(
            username=spec.username,
            defaults={
                "role": spec.role,
                "team": team,
                "first_name": spec.first_name,
                "last_name": spec.last_name,
                "is_staff": spec.role in (Role.ADMIN, Role.TEAM_LEAD, Role.QA, Role.LEGAL),
                "is_superuser": spec.role == Role.ADMIN,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        elif (user.first_name, user.last_name) != (spec.first_name, spec.last_name):
            # Demo databases made before the demo staff had real names ("主管 王") get them.
            user.first_name, user.last_name = spec.first_name, spec.last_name
            user.save(update_fields=["first_name", "last_name"])
        if spec.role == Role.COLLECTOR and not TrainingRecord.objects.filter(user=user).exists():
            TrainingRecord.objects.create(
                user=user,
                kind=TrainingKind.COURSE,
                title="催收合规年度培训",
                passed_on=clock.today() - timedelta(days=100),
            )
        users.append(user)
    return users


def demo_collectors() -> list[tuple[int, int | None]]:
    return list(
        User.objects.filter(role=Role.COLLECTOR, username__in=[u.username for u in DEMO_USERS])
        .order_by("username")
        .values_list("id", "team_id")
    )
