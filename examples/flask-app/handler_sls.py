"""examples/flask-app/handler_sls.py: Lambda handler `handler_sls.handler` wrapping the
Flask app with serverless-wsgi (the library behind the Serverless Framework plugin).
Runs in: the Lambda execution environment."""

import serverless_wsgi

from app import app


def handler(event, context):
    return serverless_wsgi.handle_request(app, event, context)
