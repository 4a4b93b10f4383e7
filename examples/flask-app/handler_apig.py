"""examples/flask-app/handler_apig.py: Lambda handler `handler_apig.handler` wrapping the
Flask app with apig-wsgi (binary responses base64-encoded for non-text content types).
Runs in: the Lambda execution environment."""

from apig_wsgi import make_lambda_handler

from app import app

handler = make_lambda_handler(app, binary_support=True)
