"""The dashboard of ``hpo-runner serve``: server-rendered pages at ``/`` over the Experiments API.

``pages`` renders the pages (Jinja2 ``templates/``), ``access`` logs a browser in by the ``?token=``
link, ``forms`` gives the new-experiment form its choices, ``curves`` and ``comparison`` compute
what the experiment and compare pages draw (with the report's own functions), ``api`` adds the
API routes the pages use, ``assets`` serves ``static/`` and plotly.js from the installed package.
"""
