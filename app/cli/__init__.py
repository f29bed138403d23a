"""Flask CLI commands: ``flask bindings|demo|households|plaques|points …``."""

from __future__ import annotations

import functools

import click

from app.errors import AppError


def register_cli(app) -> None:
    from app.cli import accounts, bindings, demo, households, plaques, points, privacy

    for group in (
        accounts.accounts,
        bindings.bindings,
        demo.demo,
        households.households,
        plaques.plaques,
        points.points,
        privacy.privacy,
    ):
        app.cli.add_command(group)


def friendly_errors(fn):
    """Turn a service's AppError into a clean CLI error (exit 1, Chinese message, no traceback)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except AppError as error:
            raise click.ClickException(error.message) from None

    return wrapper
