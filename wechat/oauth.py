"""(being written)"""

from flask import Blueprint

bp = Blueprint("wechat_oauth", __name__)
