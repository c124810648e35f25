"""Import every module that registers built-in statements (in the paper's order)."""
from . import definitions  # noqa: F401  Definitions 1, 3; Algorithms 1, 2; inner methods
from . import general  # noqa: F401  theorem2, theorem4(+corrected), table2
from . import gd  # noqa: F401  lemma5(+potential), lemma6, theorem7(+corrected)
from . import prox  # noqa: F401  lemma8(+corrected), lemma9, theorem10(+corrected)
from . import agd  # noqa: F401  lemma11(+corrected), lemma12, theorem13(+corrected)
