"""The dashboard of ``hpo-runner serve``: server-rendered pages at ``/`` over the Experiments API.

``pages`` renders the pages (Jinja2), ``access`` logs a browser in by the ``?token=`` link,
``api`` adds the summaries the pages draw (anytime curves, arm shares, comparisons), ``assets``
serves the static files and the charting library from its installed package.
"""
