"""``python -m playground [--data mnist.npz]``: start the desktop app."""
from playground.app import main

raise SystemExit(main())
