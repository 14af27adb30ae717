"""The rollup's circuits, built with the circuit framework of :mod:`circuits`.

* the session circuit (one user's session of one block): :mod:`.state_digests`,
  :mod:`.rules`, :mod:`.operations` (the constraints), :mod:`.session_circuit`
  (their assembly), :mod:`.assignment` (a ``SessionTrace`` as its witness),
  :mod:`.labels` (rule names in error messages), :mod:`.session` (the built circuit);
* the block tree: :mod:`.tree` (node statements in the circuit, the 2-to-1
  combine) and :mod:`.block` (the aggregation scheme and the block root circuit).

The native statements these circuits prove are in :mod:`rollup.block_plan`.
"""
