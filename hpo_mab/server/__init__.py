"""``hpo-runner serve``: the Experiments REST API (FastAPI on uvicorn) over a results folder.

``create_app(settings)`` builds the application; the experiments it launches run the CLI in
their own processes and write the results folder exactly as the CLI does.
"""
