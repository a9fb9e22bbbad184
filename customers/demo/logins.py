"""Demo logins: two sales reps, a manager, an admin and a superuser, all with one known password.

Known passwords are only for demos: the seed_demo command creates these only when DEBUG is on or when asked
explicitly. Users that already exist are left as they are (password, groups and flags untouched).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group

from crm import roles
from crm.roles import DEMO_PASSWORD, DEMO_USERS

__all__ = ["DEMO_PASSWORD", "DEMO_REPS", "DEMO_USERS", "Login", "ensure_demo_logins"]
DEMO_REPS = ("alice", "bob")
# Their full names: what a message from the worklist is signed with (a login name is no signature).
DEMO_NAMES = {
    "alice": ("Alice", "Archer"),
    "bob": ("Bob", "Baker"),
    "charlie": ("Charlie", "Chen"),
    "dana": ("Dana", "Dubois"),
}


@dataclass(frozen=True)
class Login:
    """One demo login as reported to the person who ran the command."""

    username: str
    role: str
    password: str  # the demo password, or a note when the user already existed
    created: bool


def ensure_demo_logins() -> list[Login]:
    """Create the demo users that do not exist yet, in their role groups; report all of them."""
    User = get_user_model()
    # Hashing is deliberately slow: hash the one demo password once and reuse it.
    password_hash = make_password(DEMO_PASSWORD)
    logins = []
    for username, role, is_staff, is_superuser in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "email": f"{username}@example.com",
                "is_staff": is_staff,
                "is_superuser": is_superuser,
                "first_name": DEMO_NAMES.get(username, ("", ""))[0],
                "last_name": DEMO_NAMES.get(username, ("", ""))[1],
            },
        )
        if created:
            user.password = password_hash
            user.save(update_fields=["password"])
            if role:
                user.groups.add(Group.objects.get(name=role))
        label = role or "Superuser"
        logins.append(Login(username, label, DEMO_PASSWORD if created else "(existing user, unchanged)", created))
    return logins


def rep_ids(demo_logins: bool) -> list[int]:
    """Ids of the users who will own the demo customers: the demo reps when demo logins are in use,
    otherwise every active member of the Sales rep group (possibly none: customers stay unowned)."""
    User = get_user_model()
    if demo_logins:
        reps = User.objects.filter(username__in=DEMO_REPS)
    else:
        reps = User.objects.filter(groups__name=roles.SALES_REP, is_active=True)
    return list(reps.order_by("username").values_list("id", flat=True).distinct())
