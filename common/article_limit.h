/* article_limit.h: lede's one article limit, stated once. The engine, the CLI, workers,
 * liblede-client and the gateway enforce it with one message; frames are this plus 1 MiB of
 * envelope (proto/wire.h). A macro only, shared without linking anything. */
#ifndef LEDE_ARTICLE_LIMIT_H
#define LEDE_ARTICLE_LIMIT_H

#define LEDE_DEFAULT_MAX_BODY (16u << 20) /* bytes of body */

#endif
