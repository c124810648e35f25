import sys

from boundcheck.cli.app import main

sys.exit(main())
