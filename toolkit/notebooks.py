"""Execute the analysis notebooks and render them to self-contained HTML.

The notebooks live in ``notebooks/`` of the repository as ``py:percent`` scripts (the source of
truth) paired with ``.ipynb`` files by jupytext. :func:`execute_notebook` runs one in a fresh
kernel of the current interpreter, with parameters injected the way papermill does it (a cell
tagged ``injected-parameters`` right after the cell tagged ``parameters``);
:func:`run_notebooks` runs them all in order and writes each as ``<stem>.html`` and the executed
``<stem>.ipynb``; :func:`write_html` renders one.

A warning the toolkit raises inside a notebook fails the run like an error: the injected cell
turns warnings issued from the toolkit's modules, and from the notebook's own code (where a
toolkit function that warns with ``stacklevel=2`` attributes its warning), into errors; and any
``stderr`` output of a cell that mentions a ``Warning`` from the toolkit fails the run too.
"""

from __future__ import annotations

import ast
import os
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import jinja2
import nbformat
import pandas as pd

from toolkit._io import atomic_write_text
from toolkit.errors import InputError, ToolkitError

__all__ = [
    "NOTEBOOKS",
    "NOTEBOOK_DIR",
    "NotebookError",
    "execute_notebook",
    "parameter_names",
    "run_notebooks",
    "write_html",
]

#: The analysis notebooks, in the order they run (01 ingests; the others read its store).
NOTEBOOKS = (
    "01_validate_and_clean",
    "02_psychometrics",
    "03_weekly_vs_monthly",
    "04_trends_and_switches",
    "05_study_design",
    "06_team_report",
)
#: Where the notebooks are: ``notebooks/`` beside the ``toolkit`` package in the repository.
NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "notebooks"
#: The source of the cell injected into every executed notebook before the parameters.
_WARNINGS_AS_ERRORS = (
    "import warnings as _warnings\n"
    '_warnings.filterwarnings("error", module=r"(toolkit(\\.|$)|__main__$)")  '
    "# the toolkit's warnings fail the run\n"
)
_KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
_HTML_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
"""


class NotebookError(ToolkitError):
    """A notebook failed: a cell raised, or the toolkit warned.

    Parameters
    ----------
    notebook : str
        The notebook's file.
    problem : str
        The error (its type and message) or the warning.
    cell : str, optional
        The first lines of the failing cell's source.
    """

    def __init__(self, notebook: str | Path, problem: str, *, cell: str | None = None) -> None:
        self.notebook = str(notebook)
        self.problem = problem
        self.cell = cell
        where = f" in the cell starting\n    {cell}\n" if cell else ": "
        super().__init__(f"notebook {self.notebook} failed{where}{problem}")


def parameter_names(nb: nbformat.NotebookNode) -> list[str]:
    """The names the notebook's cell tagged ``parameters`` assigns (empty without such a cell).

    Examples
    --------
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
    ...     'WAVE = "2026Q4"\\nTEAM = "t01"', metadata={"tags": ["parameters"]})])
    >>> parameter_names(nb)
    ['WAVE', 'TEAM']
    """
    for cell in nb.cells:
        if cell.cell_type == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            names = []
            for node in ast.parse(cell.source).body:
                if isinstance(node, ast.Assign | ast.AnnAssign):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    names += [t.id for t in targets if isinstance(t, ast.Name)]
            return names
    return []


def execute_notebook(
    path: str | Path,
    *,
    parameters: Mapping[str, object] | None = None,
    cwd: str | Path | None = None,
    timeout: int = 600,
    env: Mapping[str, str] | None = None,
) -> nbformat.NotebookNode:
    """Execute one notebook in a fresh ``python3`` kernel of the current interpreter.

    Parameters
    ----------
    path : str or Path
        A ``py:percent`` script (read with jupytext) or an ``.ipynb`` file.
    parameters : mapping, optional
        Values injected papermill-style: a code cell tagged ``injected-parameters`` that
        assigns each name (``repr`` of its value: str, numbers, bool, None, lists and dicts of
        those) goes right after the cell tagged ``parameters`` (at the top without one). It
        also turns the toolkit's warnings into errors.
    cwd : str or Path, optional
        The kernel's working folder; default the notebook's folder (so its relative paths work).
    timeout : int, default 600
        Seconds a single cell may run.
    env : mapping, optional
        Environment variables the kernel gets besides this process's (a secret such as
        ``ONEONONE_KEY``: it stays out of the notebook and its outputs).

    Returns
    -------
    NotebookNode
        The executed notebook, with outputs.

    Raises
    ------
    InputError
        When the file is missing or not a notebook, or a parameter value cannot be written as
        Python source.
    NotebookError
        When a cell fails (naming the notebook, the head of the cell and the error) or prints
        a toolkit warning to stderr.
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    source = Path(path)
    nb = _read(source)
    _inject(nb, parameters or {}, source)
    nb.metadata["kernelspec"] = _KERNELSPEC
    client = NotebookClient(
        nb, km=_kernel_manager(), timeout=timeout, kernel_name="python3", allow_errors=False,
        record_timing=False,
    )  # fmt: skip
    folder = Path(cwd) if cwd is not None else source.resolve().parent
    try:
        client.execute(cwd=str(folder), env={**_kernel_env(), **(env or {})}, cleanup_kc=True)
    except CellExecutionError as exc:
        raise NotebookError(source, f"{exc.ename}: {exc.evalue}", cell=_failing_cell(nb)) from None
    except (CellTimeoutError, DeadKernelError) as exc:
        raise NotebookError(source, f"{type(exc).__name__}: {exc}", cell=_failing_cell(nb)) from None
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            text = output.get("text", "") if output.get("name") == "stderr" else ""
            if "Warning" in text and "toolkit" in text:
                raise NotebookError(source, f"the toolkit warned: {text.strip()}", cell=_head(cell.source))
    return nb


def write_html(nb: nbformat.NotebookNode, path: str | Path) -> Path:
    """Render a notebook as one self-contained HTML file (figures inline, no scripts fetched).

    Uses nbconvert's ``HTMLExporter`` (the JupyterLab template without the RequireJS, MathJax,
    Mermaid and widget scripts it would load from the web); written atomically.

    Examples
    --------
    >>> import tempfile
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Hello")])
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     html = write_html(nb, Path(tmp) / "hello.html").read_text()
    >>> "<h1" in html and "<script src=" not in html
    True
    """
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        extra_loaders=[jinja2.DictLoader({"toolkit_selfcontained.html.j2": _HTML_TEMPLATE})],
        template_file="toolkit_selfcontained.html.j2",
        embed_images=True,
    )
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": Path(path).stem}})
    return atomic_write_text(path, body)


def run_notebooks(
    out_dir: str | Path,
    *,
    parameters: Mapping[str, object],
    notebooks: Sequence[str | Path] | None = None,
    progress: Callable[[str], object] | None = None,
    strict: bool = True,
    env: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Execute the notebooks in order and write each as ``<stem>.html`` and ``<stem>.ipynb``.

    Parameters
    ----------
    out_dir : str or Path
        Where the executed notebooks and their HTML go.
    parameters : mapping
        Parameter values (see :func:`execute_notebook`); each notebook gets those its cell
        tagged ``parameters`` assigns. The notebooks run in ``notebooks/``: give absolute paths.
    notebooks : sequence of str or Path, optional
        Stems of :data:`NOTEBOOKS` or paths of notebook files; default all of
        :data:`NOTEBOOKS` from :data:`NOTEBOOK_DIR`.
    progress : callable, optional
        Called as ``progress(stem)`` before each notebook starts.
    strict : bool, default True
        A parameter that none of the notebooks assigns is an error (a typo would otherwise pass
        unnoticed); ``False`` ignores it (a caller that runs a subset of the notebooks with the
        parameters of all of them).
    env : mapping, optional
        Extra environment variables of the kernels (see :func:`execute_notebook`).

    Returns
    -------
    DataFrame
        One row per notebook: ``notebook`` (stem), ``html``, ``ipynb`` (paths written),
        ``seconds`` (execution and rendering).

    Raises
    ------
    InputError
        When a notebook is not found, or a parameter is assigned by none of the notebooks
        (a typo would otherwise pass unnoticed).
    NotebookError
        When a notebook fails; the notebooks after it do not run.
    """
    paths = [_locate(n) for n in (NOTEBOOKS if notebooks is None else notebooks)]
    sources = {p: _read(p) for p in paths}
    known = {name for nb in sources.values() for name in parameter_names(nb)}
    unknown = sorted(set(parameters) - known)
    if unknown and strict:
        raise InputError(
            f"parameters {', '.join(unknown)} are assigned by none of the notebooks "
            f"({', '.join(p.stem for p in paths)}); they take {', '.join(sorted(known))}"
        )
    out = Path(out_dir)
    rows = []
    for path, nb in sources.items():
        if progress is not None:
            progress(path.stem)
        start = time.perf_counter()
        mine = {k: v for k, v in parameters.items() if k in parameter_names(nb)}
        executed = execute_notebook(path, parameters=mine, env=env)
        html = write_html(executed, out / f"{path.stem}.html")
        ipynb = atomic_write_text(out / f"{path.stem}.ipynb", nbformat.writes(executed))
        rows.append((path.stem, str(html), str(ipynb), time.perf_counter() - start))
    return pd.DataFrame(rows, columns=["notebook", "html", "ipynb", "seconds"])


# --------------------------------------------------------------------------- helpers


def _locate(notebook: str | Path) -> Path:
    """A stem of :data:`NOTEBOOKS` (its ``.py`` in :data:`NOTEBOOK_DIR`) or a path."""
    if isinstance(notebook, str) and notebook in NOTEBOOKS:
        path = NOTEBOOK_DIR / f"{notebook}.py"
        if not path.is_file():
            raise InputError(
                "the notebooks are not here: they ship with the repository, not with an installed "
                "package; run from a checkout",
                path=path,
            )
        return path
    path = Path(notebook)
    if not path.is_file():
        raise InputError(f"no such notebook (known notebooks: {', '.join(NOTEBOOKS)})", path=path)
    return path


def _read(path: Path) -> nbformat.NotebookNode:
    if not path.is_file():
        raise InputError("notebook file not found", path=path)
    if path.suffix == ".ipynb":
        try:
            return nbformat.read(path, as_version=4)
        except (ValueError, nbformat.reader.NotJSONError) as exc:
            raise InputError(f"not a readable notebook: {exc}", path=path) from None
    if path.suffix == ".py":
        import jupytext

        return jupytext.read(path, fmt="py:percent")
    raise InputError("a notebook must be a .py (py:percent) or an .ipynb file", path=path)


def _inject(nb: nbformat.NotebookNode, parameters: Mapping[str, object], source: Path) -> None:
    """Insert the ``injected-parameters`` cell after the ``parameters`` cell (papermill's way)."""
    lines = [_WARNINGS_AS_ERRORS, "# Parameters\n"]
    for name, value in parameters.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise InputError(f"parameter names must be Python identifiers; got {name!r}", path=source)
        text = repr(value)
        try:
            if ast.literal_eval(text) != value:
                raise ValueError(text)
        except (ValueError, SyntaxError):
            raise InputError(
                f"parameter {name} = {text} cannot be written as Python source (use str, numbers, bool, "
                "None, or lists and dicts of those)",
                path=source,
            ) from None
        lines.append(f"{name} = {text}\n")
    cell = nbformat.v4.new_code_cell("".join(lines).rstrip("\n"), metadata={"tags": ["injected-parameters"]})
    tagged = [i for i, c in enumerate(nb.cells) if "parameters" in c.get("metadata", {}).get("tags", [])]
    first_code = next((i for i, c in enumerate(nb.cells) if c.cell_type == "code"), len(nb.cells))
    nb.cells.insert(tagged[0] + 1 if tagged else first_code, cell)


def _kernel_manager():
    """A kernel manager whose ``python3`` is this interpreter's ipykernel, whatever specs are installed."""
    import zmq
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager

    # without kernel folders, python3 is the native kernel: argv = [sys.executable, -m, ipykernel_launcher]
    specs = KernelSpecManager(kernel_dirs=[], ensure_native_kernel=True)
    options = {}
    if "transport_encryption" in AsyncKernelManager.class_trait_names() and zmq.has("curve"):
        options["transport_encryption"] = "auto"  # CurveZMQ-encrypted sockets, as the kernel recommends
    return AsyncKernelManager(kernel_name="python3", kernel_spec_manager=specs, **options)


def _kernel_env() -> dict[str, str]:
    env = dict(os.environ)
    env["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"  # figures shown in the notebook
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"  # no debugger notice on stderr
    return env


def _failing_cell(nb: nbformat.NotebookNode) -> str | None:
    for cell in nb.cells:
        if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            return _head(cell.source)
    return None


def _head(source: str, lines: int = 3) -> str:
    head = source.strip().splitlines()[:lines]
    more = " ..." if len(source.strip().splitlines()) > lines else ""
    return "\n    ".join(head) + more
