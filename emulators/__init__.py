"""Local, wire-compatible emulators of the Google services hybrid-sessions uses.

Never deployed. Each emulator speaks the real service's protocol so the official client
libraries run against it unchanged; `python -m emulators` starts the whole local stack.
"""
