"""The site's WSGI application pinned to XW_SITE (xappiens_whatsapp.bench_tests.wsgi), plus the static files
(/assets, /files) that nginx serves in production, so a browser can load the desk from this one server."""

import frappe.app

import xappiens_whatsapp.bench_tests.wsgi  # noqa: F401  (pins the site)

application = frappe.app.application_with_statics()
