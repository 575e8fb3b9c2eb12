#!/usr/bin/env bash
# System packages dlmusic needs, installed with apt where missing:
#   fluidsynth + libfluidsynth3   MIDI -> audio (pyfluidsynth loads the library)
#   fluid-soundfont-gm            the FluidR3 General MIDI soundfont
#   fluidr3mono-gm-soundfont, timgm6mb-soundfont, musescore-general-soundfont-small,
#   csound-soundfont              further pianos and voices (.sf2 and .sf3): several timbres in
#                                 training, one held out (transcription, vocals)
#   libcairo2                     SVG -> PNG for engraved scores (cairosvg)
#   ffmpeg                        MUSDB18 .stem.mp4 decoding (optional)
#   bubblewrap                    the sandbox each submission is graded in (instructors)
#   chromium + chromium-driver    the browser test: saved notebooks' players play with no kernel
# Without apt (macOS, conda) the script lists what to install and exits 0:
# rendering then falls back to pretty_midi's bundled TimGM6mb soundfont.
set -euo pipefail

packages=(fluidsynth libfluidsynth3 fluid-soundfont-gm fluidr3mono-gm-soundfont timgm6mb-soundfont
          musescore-general-soundfont-small csound-soundfont libcairo2 ffmpeg bubblewrap
          chromium chromium-driver)

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
    echo "install-system-deps: no apt here; install with your package manager: ${packages[*]}"
    exit 0
fi

missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "install-system-deps: all present (${packages[*]})"
    exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    sudo="sudo"
fi
echo "install-system-deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
