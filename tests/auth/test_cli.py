"""`flask staff create` and `flask staff deactivate`."""

from unittest import mock

from flask.testing import FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from engagement.auth.models import StaffRole, StaffUser
from engagement.auth.operations import PASSWORD_HASHER, create_staff

PASSWORD = "correct horse battery staple"


def staff(session: Session) -> list[StaffUser]:
    session.expire_all()
    return list(session.scalars(select(StaffUser).order_by(StaffUser.id)))


def test_create_reads_the_password_from_standard_input(
    runner: FlaskCliRunner, session: Session
) -> None:
    result = runner.invoke(
        args=["staff", "create", "Ana@MinneapolisMN.gov", "--role", "admin", "--name", "Ana"],
        input=f"{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created ana@minneapolismn.gov (Administrator)." in result.output
    [user] = staff(session)
    assert (user.email, user.display_name, user.role) == ("ana@minneapolismn.gov", "Ana", "admin")
    assert PASSWORD_HASHER.verify(user.password_hash, PASSWORD)
    assert PASSWORD not in result.output


def test_create_asks_twice_without_echo_at_a_terminal(
    runner: FlaskCliRunner, session: Session
) -> None:
    with mock.patch("click.testing._NamedTextIOWrapper.isatty", return_value=True):
        result = runner.invoke(
            args=["staff", "create", "mo@example.org", "--role", "moderator"],
            input=f"{PASSWORD}\nsomething else entirely\n{PASSWORD}\n{PASSWORD}\n",
        )
    assert result.exit_code == 0, result.output
    assert "Repeat for confirmation" in result.output
    assert PASSWORD not in result.output
    [user] = staff(session)
    assert user.role is StaffRole.MODERATOR
    assert user.display_name == "mo"
    assert PASSWORD_HASHER.verify(user.password_hash, PASSWORD)


def test_create_refuses_a_short_password(runner: FlaskCliRunner, session: Session) -> None:
    result = runner.invoke(
        args=["staff", "create", "a@example.org", "--role", "admin"], input="short\n"
    )
    assert result.exit_code == 1
    assert "Error: A staff password needs at least 12 characters." in result.output
    assert staff(session) == []


def test_create_refuses_a_duplicate(runner: FlaskCliRunner, session: Session) -> None:
    create_staff(session, "a@example.org", StaffRole.ADMIN, PASSWORD)
    session.commit()
    result = runner.invoke(
        args=["staff", "create", "A@example.org", "--role", "council"], input=f"{PASSWORD}\n"
    )
    assert result.exit_code == 1
    assert "already exists" in result.output
    assert [u.role for u in staff(session)] == [StaffRole.ADMIN]


def test_create_refuses_an_unknown_role(runner: FlaskCliRunner, session: Session) -> None:
    result = runner.invoke(
        args=["staff", "create", "a@example.org", "--role", "root"], input=f"{PASSWORD}\n"
    )
    assert result.exit_code == 2
    assert "'root' is not one of 'moderator', 'admin', 'council'" in result.output
    assert staff(session) == []


def test_create_needs_a_role(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["staff", "create", "a@example.org"], input=f"{PASSWORD}\n")
    assert result.exit_code == 2
    assert "Missing option '--role'" in result.output


def test_create_refuses_a_malformed_address(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["staff", "create", "admin", "--role", "admin"], input=PASSWORD)
    assert result.exit_code == 1
    assert "Check the e-mail address" in result.output


def test_deactivate(runner: FlaskCliRunner, session: Session) -> None:
    create_staff(session, "a@example.org", StaffRole.MODERATOR, PASSWORD)
    session.commit()
    result = runner.invoke(args=["staff", "deactivate", "A@Example.org"])
    assert result.exit_code == 0, result.output
    assert "Deactivated a@example.org." in result.output
    [user] = staff(session)
    assert user.active is False


def test_deactivate_an_unknown_address(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["staff", "deactivate", "nobody@example.org"])
    assert result.exit_code == 1
    assert "Error: No staff account has this e-mail address." in result.output
