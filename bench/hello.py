"""The baseline for ``bench/ussd.py``: the smallest Flask app gunicorn can serve.

One POST route at the gateway's USSD path, answering ``CON hello`` as text/plain, so the load
generator sends the very same requests to both servers and only the work behind the route differs.
"""

from __future__ import annotations

from flask import Flask, Response

app = Flask(__name__)


@app.post("/at/ussd")
def hello() -> Response:
    return Response("CON hello", mimetype="text/plain")
