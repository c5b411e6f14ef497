"""A real Django project in one file, behind devkit's middleware in wsgi.py style, served by
Django's own threaded server. Usage: django_app.py PORT LOGGING_JSON (from `devkit gen logging`)."""

from __future__ import annotations

import json
import logging
import sys

import django
from django.conf import settings
from django.http import HttpResponse, StreamingHttpResponse
from django.urls import path

from devkit.correlation import CorrelationMiddleware, correlated_session

log = logging.getLogger("shop.views")
PORT = 0


def index(request):
    log.info("index n=%s", request.GET.get("n", "-"))
    return HttpResponse(request.headers.get("Correlation-Id", ""))  # what the framework sees


def boom(request):
    log.info("checkout started")
    return HttpResponse(str(1 / 0))  # unhandled: django.request logs "Internal Server Error: /boom"


def stream(request):
    def chunks():
        for n in range(3):
            log.info("chunk %d", n)  # runs while the server iterates the body, after the view returned
            yield f"{n}\n"

    return StreamingHttpResponse(chunks(), content_type="text/plain")


def downstream(request):
    text = correlated_session().get(f"http://127.0.0.1:{PORT}/?n=down", timeout=10).text
    log.info("downstream saw %s", text)
    return HttpResponse(text)


urlpatterns = [path("", index), path("boom", boom), path("stream", stream), path("downstream", downstream)]

if __name__ == "__main__":
    PORT = int(sys.argv[1])
    with open(sys.argv[2]) as handle:
        logging_config = json.load(handle)
    logging_config.setdefault("loggers", {})["django.server"] = {"level": "WARNING"}
    settings.configure(DEBUG=False, SECRET_KEY="devkit-test", ROOT_URLCONF=__name__, ALLOWED_HOSTS=["127.0.0.1"],
                       MIDDLEWARE=[], INSTALLED_APPS=[], LOGGING=logging_config, USE_TZ=True)
    django.setup()
    from django.core.servers.basehttp import run
    from django.core.wsgi import get_wsgi_application

    application = CorrelationMiddleware(get_wsgi_application())  # what a project's wsgi.py does
    log.info("shop starting on %d", PORT)
    run("127.0.0.1", PORT, application, threading=True)
