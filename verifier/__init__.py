"""The trusted kernel: exact arithmetic and every check a verifier makes (``docs/architecture.md``).

Importing the package first points numba's on-disk kernel cache at the product's
owner-only directory (``verifier.kernel_cache``), before any kernel is compiled.
"""

from verifier.kernel_cache import use_product_cache_dir

use_product_cache_dir()
