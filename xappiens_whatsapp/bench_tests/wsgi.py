"""Frappe's own WSGI application, pinned to one site (XW_SITE) whatever the Host header says.

The bench tier's web server runs this, so the fake providers can call back on plain 127.0.0.1 URLs the way
the real ones call a site's public domain. XW_FAULT breaks one thing on purpose (see tests/faults.py)."""

import os

import frappe.app

from xappiens_whatsapp.bench_tests import faults

frappe.app._site = os.environ["XW_SITE"]
faults.inject(os.environ.get("XW_FAULT", ""))
application = frappe.app.application
