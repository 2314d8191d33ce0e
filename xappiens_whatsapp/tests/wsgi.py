"""Frappe's own WSGI application, pinned to one site (XW_SITE) whatever the Host header says.

The bench tier's web server runs this, so the fake providers can call back on plain 127.0.0.1 URLs the way
the real ones call a site's public domain."""

import os

import frappe.app

frappe.app._site = os.environ["XW_SITE"]
application = frappe.app.application
