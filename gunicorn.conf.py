"""gunicorn's settings for the gateway's web process (gunicorn reads this file by itself).

The access log leaves out query strings: Africa's Talking's callbacks carry the webhook secret
there. Phone numbers in paths are masked by the gateway's log record factory.
"""

access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)ss'
