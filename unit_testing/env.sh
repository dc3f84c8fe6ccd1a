# Sourced by the scripts: puts the project's tools first on PATH.
export PATH="$HOME/.cargo/bin:$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/tools/node_modules/.bin:$PATH"
export TRUNK_SKIP_VERSION_CHECK=true
