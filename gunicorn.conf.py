"""gunicorn settings read by every gunicorn started from the project root (``make run``, bench/):
gunicorn loads ``./gunicorn.conf.py`` by default. Flags on the command line still win.

The access log leaves query strings out. The WeChat callback's query carries ``signature``,
``timestamp``, ``nonce``, ``msg_signature`` and the sender's ``openid``: a log line holding them
is a request anyone who reads the log can replay (issue 9, item 3). The OAuth return carries a
``code`` the same way, and the referer can hold another page's query; neither is logged. The
path, method, status, size, user agent and time taken are what an operator reads the log for.
"""

# Apache's "combined" format without the query (%(r)s is the raw request line, %(q)s the query)
# and without the referer; %(M)s is the time taken in milliseconds.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "%(a)s" %(M)sms'

# gunicorn refuses a longer request line itself, with an English page; up to 8190 bytes (its
# maximum short of "unlimited") the app sees the request and answers an over-long query in
# Chinese (app/query_limits.py). Search boxes stop at 50 characters, so only an edited URL is longer.
limit_request_line = 8190
