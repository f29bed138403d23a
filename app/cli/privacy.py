"""``flask privacy rotate-keys``."""

from __future__ import annotations

import click

from app.cli import friendly_errors
from app.services.key_rotation import rotate_personal_data


@click.group()
def privacy():
    """个人信息加密：更换密钥。"""


@privacy.command("rotate-keys")
@click.option("--by", "actor", default="命令行", show_default=True)
@friendly_errors
def rotate_keys(actor):
    """用 DATA_ENCRYPTION_KEY 里的第一个密钥重新加密全部身份证号和电话。

    先把新密钥放在最前面（新,旧），运行本命令，确认无误后再去掉旧密钥；
    去掉旧密钥前请设置 DATA_HASH_KEY（见 README），否则查找用的散列会变。
    """
    rows = rotate_personal_data(actor=actor)
    click.echo(f"已用新密钥重新加密{rows}人的证件号和电话。")
