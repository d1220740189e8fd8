"""``python -m api.cli`` runs the same CLI as ``c360``."""

from api.cli import main

main()
