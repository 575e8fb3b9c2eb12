# dlmusic: thin wrappers over the package's command-line tools.
#   make demo   set up, build the offline datasets, summarise and plot them
#   make test   set up, lint, and run the test suite
#   make grade SUBMISSIONS=<folder or zip>   autograde a class (see autograder/README.md)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SIZE ?= quick
# The CPU build of PyTorch (nnAudio needs torch); installed first so pip does
# not pull the CUDA build. On Colab the preinstalled torch is used instead.
TORCH ?= torch==2.13.0
STAMP := $(VENV)/.dlmusic-installed

GRADING_DIR ?= grading
WORKERS ?= 2

.PHONY: setup system-deps demo test lint data release student-release grade bench bench-deps clean

setup: $(STAMP)

$(STAMP): pyproject.toml autograder/pyproject.toml .ci/install-system-deps.sh
	bash .ci/install-system-deps.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "$(TORCH)"
	$(BIN)/python -m pip install --quiet -e ".[dev,local,musdb]" -e ./autograder
	touch $@

system-deps:
	bash .ci/install-system-deps.sh

demo: setup
	$(BIN)/python -m dlmusic_instructor.demo --size $(SIZE) --out build/demo

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	$(BIN)/python -m pytest

data: setup
	$(BIN)/dlmusic-data build all --size $(SIZE)

# Regenerate the student notebooks (assignments/) from solutions/ with nbgrader.
release: setup
	$(BIN)/python autograder/release.py

# The student distribution (release, student package, README with Open-in-Colab badges,
# wheel), scanned for leaks. STUDENT_REPOSITORY=owner/name (and STUDENT_BRANCH) publish it
# elsewhere than dlmusic.course.STUDENT_REPOSITORY: badges, install line and package follow.
student-release: setup
	$(BIN)/python -m dlmusic_instructor.student_release --out build/student-release \
		$(if $(STUDENT_REPOSITORY),--repository $(STUDENT_REPOSITORY)) \
		$(if $(STUDENT_BRANCH),--branch $(STUDENT_BRANCH))

# Grade a class: SUBMISSIONS is a folder of per-student folders or an LMS zip export.
# Optional: ASSIGNMENT=<id> (found from the notebook names otherwise), GRADING_DIR, WORKERS.
grade: setup
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=<folder or zip>"; exit 2; }
	$(BIN)/dlmusic-grade --workdir $(GRADING_DIR) all "$(SUBMISSIONS)" --workers $(WORKERS) \
		$(if $(ASSIGNMENT),--assignment $(ASSIGNMENT))

# Pretrained Basic Pitch (ONNX) for the comparison; its own pins predate TF 2.21.
bench-deps: setup
	$(BIN)/python -m pip install --quiet --no-deps basic-pitch==0.4.0 resampy onnxruntime
	$(BIN)/python -m pip install --quiet coloredlogs flatbuffers sympy

bench: bench-deps
	$(BIN)/python benchmarks/cqt.py --size $(SIZE)
	$(BIN)/python benchmarks/transcription.py --size $(SIZE)

clean:
	rm -rf build .pytest_cache .ruff_cache
