# cckit — build, test, install. `make test` is the one test command (README).
PREFIX ?= /usr/local
DESTDIR ?=
LIBDIR = $(DESTDIR)$(PREFIX)/lib/cckit
BINDIR = $(DESTDIR)$(PREFIX)/bin
MANDIR = $(DESTDIR)$(PREFIX)/share/man/man1
BASHDIR = $(DESTDIR)$(PREFIX)/share/bash-completion/completions
ZSHDIR = $(DESTDIR)$(PREFIX)/share/zsh/site-functions
FISHDIR = $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
COMMANDS = $(notdir $(wildcard bin/cc-*))

.PHONY: all build test test-deps test-unit test-cli bench install uninstall clean demo typecheck

all: build

# Installed once when missing; after changing dependencies run `npm ci` yourself.
node_modules:
	npm ci --no-audit --no-fund

build: | node_modules
	node build.mjs

typecheck: | node_modules
	npx tsc --noEmit -p .

test: build
	bash test/install-deps.sh
	bash test/run-all.sh

test-unit: | node_modules
	node --import tsx --test test/unit/*.test.ts

test-cli: build
	node_modules/bats/bin/bats test/cli

bench: build
	bash bench/run-all.sh

demo: build
	bash contrib/demo.sh

install: build
	mkdir -p $(LIBDIR) $(BINDIR) $(MANDIR) $(BASHDIR) $(ZSHDIR) $(FISHDIR)
	cp -R package.json package-lock.json bin dist $(LIBDIR)/
	# --ignore-scripts: the package's own prepare (a build) must not run here. argon2's install
	# script is run on its own: it tests the prebuilt binary and compiles from source where
	# that binary does not load (seen: it crashes on some glibc x86-64 machines).
	cd $(LIBDIR) && npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm rebuild argon2 --no-audit --no-fund >/dev/null
	for c in $(COMMANDS); do ln -sf $(PREFIX)/lib/cckit/bin/$$c $(BINDIR)/$$c; done
	cp man/*.1 $(MANDIR)/
	for c in $(COMMANDS); do \
	  [ -f completions/bash/$$c ] && cp completions/bash/$$c $(BASHDIR)/$$c; \
	  [ -f completions/zsh/_$$c ] && cp completions/zsh/_$$c $(ZSHDIR)/_$$c; \
	  [ -f completions/fish/$$c.fish ] && cp completions/fish/$$c.fish $(FISHDIR)/$$c.fish; \
	done; true

uninstall:
	for c in $(COMMANDS); do rm -f $(BINDIR)/$$c $(MANDIR)/$$c.1 $(BASHDIR)/$$c $(ZSHDIR)/_$$c $(FISHDIR)/$$c.fish; done
	rm -rf $(LIBDIR)

clean:
	rm -rf dist
