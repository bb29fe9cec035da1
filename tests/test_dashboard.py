"""The dashboard in a real headless Chromium against a real server: login, the form, a run watched live to its end,
a trial's learning curve, stop and resume, an invalid budget, compare; no console error on any page.

Screenshots of every page are written to docs/screenshots/ (the README shows them).
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from hpo_mab.server.web.comparison import TABLES
from hpo_mab.server.web.forms import default_jobs
from tests.browser import Pages, launch, require_chromium, screenshot
from tests.processes import wait_for
from tests.server_fixtures import ROOT, TOKEN, Server

RUN_LIMIT_MS = 600_000  # a guard against a hang only: every wait is on a page state
WATCH = """
document.addEventListener("DOMContentLoaded", () => {
  window.__seen = {};
  for (const id of ["trials-count", "best-error"]) {
    const element = document.getElementById(id);
    if (!element) continue;
    const seen = (window.__seen[id] = []);
    const record = () => { if (seen[seen.length - 1] !== element.textContent) seen.push(element.textContent); };
    record();
    new MutationObserver(record).observe(element, { childList: true, characterData: true, subtree: true });
  }
});
"""


@pytest.fixture(scope="module")
def chromium():
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def dash(tmp_path_factory):
    server = Server(tmp_path_factory.mktemp("dashboard") / "results").start()
    yield server
    server.stop()


@pytest.fixture
def pages(chromium, dash):
    """A logged-in browser context; after the test, no page of it may have logged a console error."""
    pages = Pages(chromium)
    page = pages.new()
    page.goto(f"{dash.url}/?token={TOKEN}")
    page.close()
    yield pages
    pages.close()
    assert pages.errors == []


def cli_run(results: Path, *args: str) -> subprocess.Popen:
    """The CLI's own run of the same settings, in another results folder."""
    command = [sys.executable, str(ROOT / "hpo_runner.py"), *args, "--results", str(results)]
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def store_rows(results: Path, query: str, *args) -> list[tuple]:
    db = sqlite3.connect(f"file:{results / 'hpo.sqlite'}?mode=ro", uri=True)
    try:
        return db.execute(query, args).fetchall()
    finally:
        db.close()


def test_login_by_link_sets_an_httponly_strict_cookie(chromium, dash):
    pages = Pages(chromium)
    page = pages.new()
    page.goto(f"{dash.url}/compare")
    assert page.locator("label[for=token]").inner_text() == "Token"  # only the login page
    assert page.locator("#experiments, #choose, header nav").count() == 0
    screenshot(page, "login")
    page.goto(f"{dash.url}/?token=wrong")
    assert page.locator("#login-error").inner_text() == "That token is not this server's."
    assert page.evaluate("document.activeElement.id") == "token"  # keyboard only: type, Enter
    page.keyboard.type(TOKEN)
    page.keyboard.press("Enter")
    page.wait_for_selector("#experiments")
    assert page.url == f"{dash.url}/"
    response = page.goto(f"{dash.url}/experiments/new?token={TOKEN}")
    assert page.url == f"{dash.url}/experiments/new"  # the token leaves the address
    assert response.status == 200
    (cookie,) = [c for c in pages.context.cookies() if c["name"] == "hpo_token"]
    assert (cookie["value"], cookie["httpOnly"], cookie["sameSite"]) == (TOKEN, True, "Strict")
    assert TOKEN not in page.evaluate("document.cookie")
    assert page.goto(f"{dash.url}/compare").status == 200  # no token in the address any more
    pages.close()
    assert pages.errors == []


def record_posts(page) -> list[str]:
    """The API paths of the page's POST requests from now on, in order."""
    posted: list[str] = []
    page.on("request", lambda r: posted.append(r.url.split("/api/v1", 1)[1]) if r.method == "POST" else None)
    return posted


def fill_form(page, **values: str) -> None:
    """Set the new-experiment form's fields by name (selects chosen, inputs typed)."""
    for name, value in values.items():
        element = page.locator(f"#f-{name}")
        if element.evaluate("e => e.tagName") == "SELECT":
            element.select_option(value)
        else:
            element.fill(value)


def test_form_starts_a_run_watched_live_to_its_end(pages, dash, tmp_path):
    reference = cli_run(tmp_path / "cli", "digits-mlp", "3", "-m", "DIV", "-s", "SEQ", "-e", "TIME", "-et", "12h",
                        "--seed", "7")  # fmt: skip
    page = pages.new()
    page.add_init_script(WATCH)
    page.goto(f"{dash.url}/experiments/new")
    assert page.locator("#benchmark-facts").inner_text().startswith("12000 rows, 8 hyperparameters, 30 epochs")
    page.check("input[name=criterion][value=TIME]")
    fill_form(page, benchmark="digits-mlp", mode="DIV", spec="SEQ", budget="12h", repetitions="3", seed="7")
    assert default_jobs() == max(1, min(os.cpu_count() or 1, 64))  # the form's default: a repetition per core
    jobs = f" -j {default_jobs()}" if default_jobs() > 1 else ""
    command = f"hpo-runner digits-mlp 3 -m DIV -s SEQ -e TIME -et 12h --seed 7{jobs} --results {dash.results}"
    page.wait_for_function("text => document.getElementById('command').textContent === text", arg=command)
    assert '"title": "default"' in page.locator("#run-conf").inner_text()
    screenshot(page, "new-experiment")
    posted = record_posts(page)
    page.click("#start")
    page.wait_for_url(re.compile(r".*/experiments/[0-9a-f]+$"))
    experiment_id = page.url.rsplit("/", 1)[1]
    assert posted == ["/experiments", f"/experiments/{experiment_id}:start"]  # checked valid as it is: no second check

    listing = pages.new()  # the experiments page, open while the run goes on
    listing.goto(f"{dash.url}/")
    row = f'tr[data-id="{experiment_id}"]'
    first = int(listing.locator(f'{row} [data-field="trials"]').inner_text() or 0)

    page.wait_for_selector('body[data-ended="true"]', timeout=RUN_LIMIT_MS)
    assert page.locator("#status").inner_text() == "done"
    experiment = dash.client.get(f"/experiments/{experiment_id}").json()
    run_id = experiment["run_id"]
    ((count, best),) = store_rows(dash.results, "SELECT COUNT(*), MIN(error) FROM trials WHERE run_id = ?", run_id)
    # progress and best so far moved while it ran: several values, in order, ending at the store's
    seen = page.evaluate("window.__seen")
    trials_seen = [int(v) for v in seen["trials-count"]]
    assert len(trials_seen) >= 3 and trials_seen == sorted(trials_seen) and trials_seen[-1] == count
    best_seen = [float(v) for v in seen["best-error"][1:] if v != "–"]
    assert len(best_seen) >= 2 and best_seen == sorted(best_seen, reverse=True)
    assert float(page.locator("#best-error").get_attribute("data-value")) == best
    assert page.locator("#best-error").inner_text() == f"{best:.6g}"
    assert page.locator("#table-total").inner_text() == str(count)
    # the anytime curve ends at the median over repetitions of their best errors
    per_rep = [e for (e,) in store_rows(dash.results, "SELECT MIN(error) FROM trials WHERE run_id = ? GROUP BY rep",
                                        run_id)]  # fmt: skip
    assert page.evaluate("document.getElementById('anytime').data[2].y.at(-1)") == pytest.approx(np.median(per_rep))
    # the list page followed it without a reload
    listing.wait_for_selector(f'{row} [data-field="status"][data-status="done"]', timeout=RUN_LIMIT_MS)
    assert int(listing.locator(f'{row} [data-field="trials"]').inner_text()) == count > first
    assert float(listing.locator(f'{row} [data-field="best"]').get_attribute("data-value")) == best
    screenshot(listing, "experiments")

    # the trace equals the CLI's for the same seed, byte for byte (and so does the download)
    assert reference.wait(RUN_LIMIT_MS / 1000) == 0, reference.stderr.read()
    cli_trace = (tmp_path / "cli" / experiment["results"]["trace"]).read_bytes()
    assert (dash.results / experiment["results"]["trace"]).read_bytes() == cli_trace
    assert page.request.get(f"{dash.url}/api/v1/experiments/{experiment_id}/files/trace").body() == cli_trace

    # a trial's learning curve
    page.locator("#trials tbody tr").first.locator("button.curve").focus()  # a real button: Enter opens it
    page.keyboard.press("Enter")
    page.wait_for_selector("#trial-detail:not([hidden]) .main-svg")
    assert page.evaluate("document.activeElement.id") == "trial-detail"  # the focus moves to what opened
    trial_id = page.locator("#trial-detail").get_attribute("data-trial")
    trial = dash.client.get(f"/experiments/{experiment_id}/trials/{trial_id}").json()
    assert int(page.locator("#trial-detail").get_attribute("data-points")) == trial["train_epoch"] == 30
    plotted = page.evaluate("document.getElementById('trial-curve').data[0].y")
    assert plotted == [c["accuracy"] for c in trial["curve"]]
    screenshot(page, "experiment")


def test_stop_and_resume_from_the_page(pages, dash, tmp_path):
    args = ["digits-mlp", "2", "-m", "DIV", "-s", "HEDGE", "-e", "TIME", "-et", "12h", "--seed", "11"]
    reference = cli_run(tmp_path / "cli", *args)
    body = {"benchmark": "digits-mlp", "mode": "DIV", "spec": "HEDGE", "criterion": "TIME", "budget": "12h",
            "repetitions": 2, "seed": 11}  # fmt: skip
    experiment_id = dash.client.post("/experiments", json=body).json()["id"]
    assert dash.client.post(f"/experiments/{experiment_id}:start").status_code == 200
    page = pages.new()
    page.goto(f"{dash.url}/experiments/{experiment_id}")
    page.wait_for_function("Number(document.getElementById('table-total').textContent) >= 3", timeout=RUN_LIMIT_MS)
    assert page.locator("#resume").is_hidden()
    page.click("#stop")
    page.wait_for_selector('#status[data-status="stopped"]', timeout=RUN_LIMIT_MS)
    page.wait_for_selector("#resume:not([hidden])")
    assert page.locator("#stop").is_hidden()
    page.wait_for_selector('body[data-ended="true"]')
    run_id = dash.client.get(f"/experiments/{experiment_id}").json()["run_id"]
    ((stored,),) = store_rows(dash.results, "SELECT COUNT(*) FROM trials WHERE run_id = ?", run_id)
    assert page.locator("#table-total").inner_text() == str(stored)
    assert stored < 2 * 40  # stopped before the end
    page.click("#resume")
    page.wait_for_selector('#status[data-status="running"]')
    page.wait_for_selector('body[data-ended="true"]', timeout=RUN_LIMIT_MS)
    assert page.locator("#status").inner_text() == "done"
    ((stored,),) = store_rows(dash.results, "SELECT COUNT(*) FROM trials WHERE run_id = ?", run_id)
    assert page.locator("#table-total").inner_text() == str(stored)
    assert reference.wait(RUN_LIMIT_MS / 1000) == 0, reference.stderr.read()
    trace = dash.client.get(f"/experiments/{experiment_id}").json()["results"]["trace"]
    assert (dash.results / trace).read_bytes() == (tmp_path / "cli" / trace).read_bytes()


def test_an_invalid_budget_is_refused_next_to_its_field(pages, dash, tmp_path):
    cli = subprocess.run([sys.executable, str(ROOT / "hpo_runner.py"), "digits-mlp", "1", "-et", "12 parsecs",
                          "--results", str(tmp_path)], cwd=ROOT, capture_output=True, text=True)  # fmt: skip
    assert cli.returncode == 2
    message = cli.stderr.strip().removeprefix("error: ")
    before = len(dash.client.get("/experiments").json()["experiments"])
    page = pages.new()
    page.goto(f"{dash.url}/experiments/new")
    page.wait_for_selector('#new-experiment[data-checked="valid"]')
    fill_form(page, budget="12 parsecs")
    page.wait_for_function("text => document.getElementById('err-budget').textContent === text", arg=message)
    assert page.locator("#f-budget").get_attribute("aria-invalid") == "true"
    assert page.locator("#err-repetitions").inner_text() == ""
    screenshot(page, "new-experiment-invalid")
    posted = record_posts(page)
    page.click("#start")
    page.wait_for_function("document.getElementById('form-state').textContent.startsWith('Not created')")
    assert posted == ["/experiments:check"]  # checked again (it was invalid), and nothing created
    assert page.locator("#err-budget").inner_text() == message
    assert len(dash.client.get("/experiments").json()["experiments"]) == before
    fill_form(page, budget="6h")
    page.wait_for_selector('#new-experiment[data-checked="valid"]')
    assert page.locator("#err-budget").inner_text() == ""
    assert " -et 6h " in page.locator("#command").inner_text()


def test_compare_shows_the_report_tables_and_plots(pages, dash):
    ids = []
    for spec in ("SEQ", "RANDOM"):
        body = {"name": f"compare {spec}", "benchmark": "digits-mlp", "mode": "DIV", "spec": spec, "criterion": "TIME",
                "budget": "3h", "repetitions": 2, "seed": 5}  # fmt: skip
        ids.append(dash.client.post("/experiments", json=body).json()["id"])
        assert dash.client.post(f"/experiments/{ids[-1]}:start").status_code == 200
    status = lambda i: dash.client.get(f"/experiments/{i}").json()["status"]  # noqa: E731
    wait_for(lambda: all(status(i) == "done" for i in ids), "both experiments to end", RUN_LIMIT_MS / 1000)
    page = pages.new()
    page.goto(f"{dash.url}/compare")
    for i in ids:
        page.check(f'input[name=ids][value="{i}"]')
    page.click("#choose button[type=submit]")
    page.wait_for_selector("#plots .main-svg")
    overview = page.locator("section.report-table").first.locator("tbody tr")
    assert overview.count() == 2
    for n, (spec, experiment_id) in enumerate(sorted(zip(("SEQ", "RANDOM"), ids, strict=True))):  # rows by name
        run_id = dash.client.get(f"/experiments/{experiment_id}").json()["run_id"]
        ((count, reps),) = store_rows(dash.results, "SELECT COUNT(*), COUNT(DISTINCT rep) FROM trials WHERE run_id = ?",
                                      run_id)  # fmt: skip
        cells = overview.nth(n).locator("td").all_inner_texts()
        assert cells[:4] == ["digits-mlp", f"compare {spec}", str(reps), str(count)]
    (digits,) = [b for b in dash.client.get("/benchmarks").json() if b["name"] == "digits-mlp"]
    goals = page.locator("section.report-table").nth(2).locator("tbody tr")
    assert goals.first.locator("td").nth(2).inner_text() == f"{1 - digits['goal']:.6g}"  # the goal as an error
    assert page.locator("#plots .js-plotly-plot").count() == 4  # anytime, rank, the arm shares of each
    report = dash.client.get("/compare", params={"ids": ids}).json()
    assert [t for t, _ in report["tables"]] == [title for _, title in TABLES]
    screenshot(page, "compare")


def test_a_trial_stopped_early_has_its_stop_marked_on_its_learning_curve(pages, dash):
    body = {"benchmark": "digits-mlp", "criterion": "TIME", "budget": "3h", "repetitions": 1, "seed": 2,
            "early_term_rule": "Median"}  # fmt: skip
    experiment_id = dash.client.post("/experiments", json=body).json()["id"]
    assert dash.client.post(f"/experiments/{experiment_id}:start").status_code == 200
    page = pages.new()
    page.goto(f"{dash.url}/experiments/{experiment_id}")
    page.wait_for_selector('body[data-ended="true"][data-status="done"]', timeout=RUN_LIMIT_MS)
    page.select_option("#filter-status", "early_terminated")  # the table is filtered by the server
    stopped = dash.client.get(f"/experiments/{experiment_id}/trials", params={"status": "early_terminated"}).json()
    page.wait_for_function("n => document.getElementById('table-total').textContent === String(n)",
                           arg=stopped["total"])  # fmt: skip
    assert set(page.locator("#trials tbody td:nth-child(10)").all_inner_texts()) == {"early terminated"}
    page.locator("#trials tbody tr").first.locator("button.curve").click()
    page.wait_for_selector("#trial-detail:not([hidden]) .main-svg")
    trial = dash.client.get(
        f"/experiments/{experiment_id}/trials/{page.locator('#trial-detail').get_attribute('data-trial')}"
    ).json()
    stop = trial["stop"]
    assert stop["rule"] == "Median" and trial["train_epoch"] < 30
    assert page.locator("#trial-stop").inner_text() == (
        f"Stopped by Median at epoch {stop['checkpoint']} (statistic {stop['statistic']:.6g},"
        f" threshold {stop['threshold']:.6g})"
    )
    assert page.evaluate("document.getElementById('trial-curve').layout.shapes[0].x0") == stop["checkpoint"]
    marker = page.evaluate("document.getElementById('trial-curve').data[1]")
    assert (marker["name"], marker["x"]) == ("early stop", [stop["checkpoint"]])
    assert marker["y"] == [trial["curve"][stop["checkpoint"] - 1]["accuracy"]]
    screenshot(page, "trial-early-stop")


def test_an_unknown_experiment_is_a_not_found_page(dash):
    import httpx

    for path in ("/experiments/nope", "/experiments/new?copy=nope"):
        response = httpx.get(f"{dash.url}{path}", cookies={"hpo_token": TOKEN})
        assert response.status_code == 404
        assert '<p role="alert">no experiment &#39;nope&#39;</p>' in response.text
    assert httpx.get(f"{dash.url}/experiments/nope").text.count('id="token"') == 1  # without the cookie: login
