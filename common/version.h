/* version.h: the engine's version, which every process reports (build info, responses, --help)
 * and which changes whenever the same request could get a different summary. A macro only, so
 * that common and the engine share it without either linking the other. */
#ifndef LEDE_VERSION_H
#define LEDE_VERSION_H

#define LEDE_ENGINE_VERSION "0.1.0"

#endif
