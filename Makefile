# weekbot — `make demo` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo run test lint install system-deps demo-deps wheelhouse clean

# What the tests and the Word export need from Debian: headless Chromium (driven by
# Playwright, never downloaded), a CJK font for matplotlib, and PostgreSQL (the suite starts a
# throwaway server and runs every database test on it as well as on SQLite), and the validators of
# the deployment files: nginx (`nginx -t` and a loopback run of deploy/nginx-weekbot.conf) and systemd
# (`systemd-analyze verify deploy/weekbot.service`). Installed only when missing.
SYSTEM_PACKAGES := chromium fonts-wqy-zenhei postgresql nginx systemd
# What `make demo`'s output needs: the CJK font its Word draft's chart is drawn with.
DEMO_PACKAGES := fonts-wqy-zenhei

# Install those of the Debian packages $(1) that are missing (with sudo unless root).
define install-missing
	@missing=$$(for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages: $$missing"; \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q $$missing; \
	fi
endef

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The whole campaign on a virtual clock; `make demo ARGS=--quick` for one scripted morning.
demo: $(STAMP) demo-deps
	$(VENV)/bin/weekbot demo $(ARGS)

run: $(STAMP)
	$(VENV)/bin/weekbot serve

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

system-deps:
	$(call install-missing,$(SYSTEM_PACKAGES))

demo-deps:
	$(call install-missing,$(DEMO_PACKAGES))

test: $(STAMP) system-deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(PY) -m pytest -q

# A folder to carry to a server without internet (a USB stick): wheels of weekbot and every runtime
# dependency for this machine's Python and platform (build it on the server's Debian release), the
# deployment files, the example config, the go-live guide, and the one command that installs it all (INSTALL.txt).
WHEELHOUSE ?= wheelhouse
wheelhouse: $(STAMP)
	rm -rf $(WHEELHOUSE)
	$(PY) -m pip wheel -q --wheel-dir $(WHEELHOUSE) .
	cp -r deploy $(WHEELHOUSE)/deploy
	cp docs/deploy.md $(WHEELHOUSE)/deploy.md
	cp config.example.toml $(WHEELHOUSE)/
	echo 'python3 -m venv /opt/weekbot && /opt/weekbot/bin/pip install --no-index --find-links . weekbot' \
		> $(WHEELHOUSE)/INSTALL.txt
	@echo "$(WHEELHOUSE)/: $$(ls $(WHEELHOUSE)/*.whl | wc -l) wheels; install: cd $(WHEELHOUSE) && sh INSTALL.txt"

clean:
	rm -rf $(VENV) data wheelhouse
