"""(being written)"""

from flask import Blueprint

bp = Blueprint("wechat_callback", __name__)
