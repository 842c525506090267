// Whether to colour what goes to a stream: `--color auto|always|never`, the NO_COLOR
// convention (no-color.org) and whether the stream is a terminal. Decides only; the
// renderers (diag/render.h) do the colouring.
#pragma once

#include <string_view>

namespace mtaroute {

enum class ColorMode { kAuto, kAlways, kNever };

// "auto", "always" or "never" (what --color accepts); anything else is auto.
ColorMode ParseColorMode(std::string_view name);

// always: yes; never: no; auto: only when the file descriptor is a terminal, NO_COLOR is
// unset or empty, and TERM is not "dumb". An explicit --color always overrides NO_COLOR.
bool UseColor(ColorMode mode, int fd);

}  // namespace mtaroute
