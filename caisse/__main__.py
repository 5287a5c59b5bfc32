import sys

from caisse.cli.main import main

sys.exit(main())
