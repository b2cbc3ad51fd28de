# The commands a person types. Every target first makes sure .venv exists and is current.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PROTOS := $(shell find protos -name '*.proto' | sort)

.PHONY: venv clients client-ts go-client-tools dev compose-secrets test test-unit fuzz faults soak check lint fmt typecheck gen gen-check buf-lint buf-breaking bench clean

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e '.[dev]'
	touch $@

venv: $(VENV)/.installed

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The TypeScript client's own toolchain (buf, protoc-gen-es, tsc, Connect), pinned by its lock file.
CLIENT_TS := clients/typescript
$(CLIENT_TS)/node_modules/.installed: $(CLIENT_TS)/package.json $(CLIENT_TS)/package-lock.json
	cd $(CLIENT_TS) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

clients: $(CLIENT_TS)/node_modules/.installed

# Generate the TypeScript client from protos/ into clients/typescript/src/gen and compile it.
client-ts: clients
	cd $(CLIENT_TS) && PATH="$$PWD/node_modules/.bin:$$PATH" buf generate --template buf.gen.yaml ../../protos
	cd $(CLIENT_TS) && ./node_modules/.bin/tsc -p tsconfig.json

# Debian's Go, grpc-go and protoc with its Go plugins, for tests/go_client (a Go client generated
# from protos/ and built offline in GOPATH mode). Installed once, skipped when already there.
GO_CLIENT_PACKAGES := golang-go protobuf-compiler protoc-gen-go protoc-gen-go-grpc \
	golang-google-grpc-dev golang-google-genproto-dev golang-google-protobuf-dev \
	golang-github-golang-protobuf-1-5-dev
go-client-tools:
	@dpkg -s $(GO_CLIENT_PACKAGES) >/dev/null 2>&1 || { \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends $(GO_CLIENT_PACKAGES); }

dev: venv
	$(PY) -m orders_cli dev

# The password files docker-compose.yml gives as secrets, made once and kept (git ignores
# secrets/). Hex, because the KurrentDB client cannot carry "/", "@", "?" or "#" in a password.
# Readable by the containers' users (the mounted file keeps its mode); the folder is yours only.
COMPOSE_SECRETS := kurrentdb_admin_password mongo_root_password
compose-secrets:
	@mkdir -p secrets && chmod 700 secrets
	@for name in $(COMPOSE_SECRETS); do \
		test -s secrets/$$name || $(PYTHON) -c 'import secrets; print(secrets.token_hex(24))' > secrets/$$name; \
		chmod 644 secrets/$$name; \
	done
	@echo "secrets/: $(COMPOSE_SECRETS)"

# Two parts, each ending with its ten slowest tests, then the suite's total time: the tests on
# TEST_WORKERS pytest-xdist workers, each module's tests on one worker (`--dist loadfile`), the
# modules handed out in collection order, which puts the longest first (tests/conftest.py's
# LONGEST_MODULES), then the tests marked `serial` without workers (tests/conftest.py says which,
# and why).
# One worker more than there are cores: a worker spends about a third of its time waiting on the
# server processes it started (starting, stopping, answering), and a third worker fills that.
# On two cores, one fresh clone: parallel part 412 s with two workers, 286 s with three.
TEST_WORKERS ?= $(shell echo $$(( $$(nproc) + 1 )))
test: venv clients
	@started=$$(date +%s); \
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder -m "not serial" --durations=10; \
	parallel=$$?; \
	$(PY) -m pytest -m serial --durations=10; \
	serial=$$?; \
	echo "make test: $$(( $$(date +%s) - started )) s in all (parallel part: exit $$parallel, serial part: exit $$serial)"; \
	[ $$parallel -eq 0 ] && [ $$serial -eq 0 ]

# The unit tests alone: no server process started (tests/conftest.py marks them), seconds.
test-unit: venv
	$(PY) -m pytest -m unit -q -p no:cacheprovider

# The fuzzing of tests/fuzz with ten times the examples `make test` runs: about 100,000 calls.
FUZZ_MAX_EXAMPLES ?= 2000
fuzz: venv
	FUZZ_MAX_EXAMPLES=$(FUZZ_MAX_EXAMPLES) $(PY) -m pytest tests/fuzz -p no:cacheprovider --timeout=3600

# The fault suite at full length: three rounds of the five kills, with 300 commands acknowledged
# between two kills. `make test` runs the short round (one round, 30 commands between kills).
FAULT_ROUNDS ?= 3
FAULT_COMMANDS_BETWEEN ?= 300
FAULT_COMMANDS_PER_SECOND ?= 50
faults: venv
	FAULT_ROUNDS=$(FAULT_ROUNDS) FAULT_COMMANDS_BETWEEN=$(FAULT_COMMANDS_BETWEEN) \
		FAULT_COMMANDS_PER_SECOND=$(FAULT_COMMANDS_PER_SECOND) \
		$(PY) -m pytest tests/faults -p no:cacheprovider --timeout=3600

check: lint typecheck gen-check buf-lint buf-breaking

lint: venv
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports

fmt: venv
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

typecheck: venv
	$(PY) -m mypy

# The one command that produces all generated code (Python messages, gRPC stubs, typed stubs)
# and the events' JSON Schema. Python takes google/rpc and google/api from googleapis-common-protos
# (a second copy would register the same files twice); buf/validate is generated here because no
# PyPI package ships it for the google.protobuf runtime (protovalidate carries its own copy for
# its own runtime).
GEN_PROTOS := $(shell find protos/orders protos/buf -name '*.proto' | sort)
gen: venv
	rm -rf gen/python/orders gen/python/buf
	mkdir -p gen/python
	$(PY) -m grpc_tools.protoc -I protos \
		--plugin=protoc-gen-mypy=$(VENV)/bin/protoc-gen-mypy \
		--plugin=protoc-gen-mypy_grpc=$(VENV)/bin/protoc-gen-mypy_grpc \
		--python_out=gen/python --mypy_out=gen/python \
		--grpc_python_out=gen/python --mypy_grpc_out=gen/python $(GEN_PROTOS)
	find gen/python/orders gen/python/buf -type d -exec touch {}/__init__.py \;
	$(PY) -m orders_contracts.schema

gen-check: gen
	git diff --exit-code --stat -- gen/ || (echo "generated code is stale: run 'make gen' and commit" && exit 1)
	test -z "$$(git status --porcelain -- gen/)" || (echo "untracked generated files: run 'make gen' and commit" && exit 1)

buf-lint: node_modules/.installed
	npx --no-install buf lint

# Breaking-change check of protos/ (buf's FILE rules). On a branch, the baseline is where it left
# main. On main itself (CI runs in a fresh clone of main) comparing with main is pointless, so the
# baseline is the parent of the newest commit that changed the contract: that change is what must
# not break clients. Override with any commit-ish, e.g. `make buf-breaking BUF_BASE=v1.0.0`.
BUF_BASE ?= $(shell \
	base=$$(git merge-base HEAD main 2>/dev/null); \
	if [ -z "$$base" ] || [ "$$base" = "$$(git rev-parse HEAD)" ]; then \
		base=$$(git rev-parse -q --verify "$$(git log -n 1 --format=%H -- protos buf.yaml)~1"); fi; \
	echo "$$base")

buf-breaking: node_modules/.installed
	@if git cat-file -e '$(BUF_BASE):buf.yaml' 2>/dev/null; then \
		echo "buf breaking against $(BUF_BASE)"; \
		npx --no-install buf breaking --against '.git#ref=$(BUF_BASE)'; \
	else \
		echo "buf-breaking: the baseline '$(BUF_BASE)' has no contract yet, nothing to compare"; \
	fi

bench: venv
	$(PY) -m bench

# Not in CI: the whole system for 10 minutes at half its measured peak, with queries alongside;
# fails on any error, memory growth over 10% in the last half, or an unbounded lag.
# `make soak SOAK_MINUTES=2` for a short try.
SOAK_MINUTES ?= 10
soak: venv
	$(PY) -m bench.soak --minutes $(SOAK_MINUTES)

clean:
	rm -rf $(VENV) node_modules .mypy_cache .ruff_cache .pytest_cache
	rm -rf $(CLIENT_TS)/node_modules $(CLIENT_TS)/dist $(CLIENT_TS)/src/gen
