"""Fuzz the callback's body parser (``wechat.callback.read_body``): plain bodies, envelopes, and
envelopes that decrypt to fuzzed plaintext, as a signed request brings them.

The contract the callback relies on to never answer 500: ``read_body`` returns a message or raises
``UnsafeXML`` / ``BadSignature``, nothing else; and what it returns can be deduplicated and
dispatched (``_dedupe_key``, ``handlers.answer_only``) without raising. Any other exception is a
crash: libFuzzer stops, writes the input under -artifact_prefix and exits non-zero.

``make fuzz`` runs it for a bounded time with a fixed seed (``make test`` calls it):
    python tests/fuzz/fuzz_callback.py -seed=1 -max_total_time=20 <new corpus dir> tests/fuzz/corpus
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the project root, as pytest has it

with atheris.instrument_imports(include=["wechat.xmlsafe", "wechat.callback"]):
    from wechatpy.crypto import WeChatCrypto
    from wechatpy.messages import BaseMessage

    from config import SANDBOX_ACCOUNT
    from wechat import handlers, xmlsafe
    from wechat.callback import BadSignature, _dedupe_key, _sha1_sorted, read_body

TOKEN, KEY, APPID = SANDBOX_ACCOUNT["WECHAT_TOKEN"], SANDBOX_ACCOUNT["WECHAT_AES_KEY"], SANDBOX_ACCOUNT["WECHAT_APPID"]
PLAIN = {"WECHAT_TOKEN": TOKEN, "WECHAT_AES_KEY": None, "WECHAT_APPID": APPID}
SAFE = {**PLAIN, "WECHAT_AES_KEY": KEY}
CRYPTO = WeChatCrypto(TOKEN, KEY, APPID)
ARGS = {"timestamp": "1764400000", "nonce": "1357924680"}


def _envelope(encrypt: str) -> tuple[bytes, dict]:
    """A safe-mode body around ``encrypt`` and the query that signs it, as WeChat sends them."""
    body = f"<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
    signature = _sha1_sorted(TOKEN, ARGS["timestamp"], ARGS["nonce"], encrypt)
    return body.encode(), {**ARGS, "encrypt_type": "aes", "msg_signature": signature}


def one_input(data: bytes) -> None:
    mode, rest = (data[0] % 4, data[1:]) if data else (0, b"")  # the first byte picks the path
    if mode == 0:  # a plain body to an account without a key
        raw, args, config = rest, ARGS, PLAIN
    elif mode == 1:  # whatever arrives as a safe-mode envelope, signed or not
        raw, args, config = rest, {**ARGS, "msg_signature": "0" * 40}, SAFE
    elif mode == 2:  # a correctly signed envelope whose Encrypt is fuzzed (bad base64, padding …)
        encrypt = rest.decode("utf-8", "replace")
        if "]]>" in encrypt:
            return
        (raw, args), config = _envelope(encrypt), SAFE
    else:  # fuzzed plaintext inside a genuine encryption: the parser behind the crypto
        sealed = CRYPTO.encrypt_message(rest.decode("utf-8", "replace"), ARGS["nonce"], ARGS["timestamp"])
        (raw, args), config = _envelope(xmlsafe.parse_fields(sealed)["Encrypt"]), SAFE
    try:
        crypto, message = read_body(raw, args, config)
    except (xmlsafe.UnsafeXML, BadSignature):
        return
    assert isinstance(message, BaseMessage)
    assert (crypto is None) == (config is PLAIN)
    handlers.answer_only(message)
    _dedupe_key(message)


def main() -> None:
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
