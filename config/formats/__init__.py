"""Parley's own format modules (FORMAT_MODULE_PATH): what differs from Django's per-language formats.

Times read the same everywhere a person sees them (queue, history, review, contacts, the web chat widget):
English "9:18 PM", Spanish "21:18". static/js/workspace.js (times of live updates) and static/widget/widget.js
produce the same text in the browser.
"""
