"""Breaking news by editors: preview, publish once, progress, cancel, recall and correction.

The handlers (``bot.handlers.editors``) check who is asking and parse what
they typed; this package does the work and keeps the ledger. Every step that
changes a post is a single conditional UPDATE in ``storage.posts`` (a draft is
published at most once, a post recalled at most once), and every step leaves
an entry in the audit log.

A post is rendered by ``bot.render.post.render_post`` from the same content
the delivery worker builds (``bot.delivery.content.post_content``), so the
preview is the post readers get, and a correction is what a new post would be.

The package, by seam: ``texts`` (what an editor reads), ``keyboards`` (the
rendered post and the buttons under it), ``reports`` (what a recall or a
correction did), all pure; ``ledger`` (the steps that only touch the database),
``preview`` (the author's preview message) and ``changes`` (recall and
correction in every chat), which do the work.
"""
