"""`python -m singer_record_count`, the same as the `singer-record-count` command."""

import sys

from singer_record_count import main

sys.exit(main())
