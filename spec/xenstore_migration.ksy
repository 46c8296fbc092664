meta:
  id: xenstore_migration
  title: Xenstore migration stream (xenstored live-update state)
  application: Xen's xenstored (tools/xenstored), live update and the xsmig tool
  file-extension: bin
  license: MIT
  ks-version: '0.11'
  # Only the header is big-endian; the records switch (see type `records_in_order`).
  endian: be
doc: |
  The state a Xenstore daemon hands to its successor on live update: the node tree with
  permissions, the client connections with their half-done traffic, watches, open
  transactions, quota settings and per-domain features. Versions 1 and 2 are described.

  Layout: a 16-byte header that is always big-endian, then a list of records in the byte
  order that bit 0 of the header's `flags` names, ended by one END record. Each record is
  `type` (u4), `len` (u4), `len` bytes of body, then zero bytes up to the next multiple of 8.
  The format document calls `len` the body size without padding; xenstored itself writes
  `len` already rounded up to 8 and reads exactly `len` bytes. Reading `len` bytes and then
  skipping to the next 8-byte boundary handles both, and is what this description does: the
  bytes between the last field of a body and the end of `len` show up as that body's
  `padding`, the rest as the record's `padding`.

  Record types this description does not know (9 and up) are kept as opaque bodies.

  Out of scope: streams written by Xen 4.22.0 and later snapshots that hold a
  WATCH_DATA_EXTENDED record (a watch registered with a depth). That writer leaves out the
  `depth` and `pad` fields but still declares `len` for them, so the strings begin 4 bytes
  earlier than their declared position and `len` may reach into the next record. No
  declarative rule tells such a record from a correct one, so a `.ksy` cannot read it; with
  this description such a stream either fails a validity check or shows the record's fields
  wrongly, and every record after it may be misread. xsmig recognises and repairs these
  records in code (see spec/format.md, producer defects).
doc-ref:
  - Xen source tree, docs/designs/xenstore-migration.md (the format document)
  - Xen source tree, tools/xenstored/lu.c, domain.c, watch.c, core.c (the real writer and reader)
  - Xen source tree, xen/include/public/io/xs_wire.h (server feature bits)
seq:
  - id: header
    type: header
    doc: Identifies the stream and names its version and record byte order.
  - id: body
    type: records_in_order
    doc: Every record, in the byte order the header's flags name, up to and including END.
  - id: trailing
    size-eos: true
    doc: |
      Bytes after the END record. A well-formed stream has none; xenstored stops reading at
      END and never looks at them.
types:
  header:
    doc: The 16 bytes every stream starts with; big-endian whatever the records use.
    seq:
      - id: ident
        contents: xenstore
        doc: The eight ASCII letters `xenstore`, without a NUL, marking the stream.
      - id: version
        type: u4
        valid:
          min: 1
          max: 2
        doc: |
          Stream version: 1 (Xen 4.17 to 4.20, and 4.21+ when told to write it) or 2 (4.21+
          by default; adds WATCH_DATA_EXTENDED and the DOMAIN_DATA `features` field).
      - id: flags
        type: u4
        valid:
          expr: (_ & 0xfffffffe) == 0
        doc: |
          Bit 0: byte order of all records after this header, 0 little-endian (every Xen host
          in practice), 1 big-endian. Bits 1 to 31 are reserved and must be zero.
    instances:
      records_big_endian:
        value: (flags & 1) == 1
        doc: True when the records are big-endian.

  records_in_order:
    doc: The record list, read in the byte order the header chose.
    meta:
      endian:
        switch-on: _root.header.flags & 1
        cases:
          0: le
          1: be
    seq:
      - id: records
        type: record
        repeat: until
        repeat-until: _.type == record_type::end
        doc: Records one after another, each starting on an 8-byte boundary; END is the last.
    types:
      record:
        doc: One record envelope with its body and the padding after it.
        -webide-representation: '{type}'
        seq:
          - id: type
            type: u4
            enum: record_type
            valid:
              expr: _ != record_type::watch_data_extended or _root.header.version >= 2
            doc: |
              What the body holds. WATCH_DATA_EXTENDED (8) exists from version 2 on; codes that
              this description does not name are read as opaque bytes.
          - id: len
            type: u4
            valid:
              expr: _ == 0 or type != record_type::end
            doc: |
              Bytes of body that follow. xenstored writes the body size rounded up to a multiple
              of 8 (its reader does not round); END always has 0.
          - id: body
            size: len
            type:
              switch-on: type
              cases:
                record_type::global_data: global_data
                record_type::connection_data: connection_data
                record_type::watch_data: watch_data
                record_type::transaction_data: transaction_data
                record_type::node_data: node_data
                record_type::global_quota_data: global_quota_data
                record_type::domain_data: domain_data
                record_type::watch_data_extended: watch_data_extended
            doc: |
              The `len` bytes of the body, decoded by record type. END has an empty body; a
              type without a case here stays raw bytes.
          - id: padding
            size: (8 - len % 8) % 8
            doc: |
              Zero bytes from the end of `len` to the next 8-byte boundary. Empty when `len` is
              already a multiple of 8, as xenstored writes it. Readers ignore the contents.

      global_data:
        doc: File descriptors the daemon keeps open across the live update.
        seq:
          - id: rw_socket_fd
            -orig-id: rw-socket-fd
            type: s4
            doc: Descriptor of the listening Unix socket, or -1 when there is none.
          - id: evtchn_fd
            -orig-id: evtchn-fd
            type: s4
            doc: |
              Descriptor of the event channel device, or -1 when there is none. (A 2020 revision
              of the format document named this field ro-socket-fd.)
          - id: padding
            size-eos: true
            doc: Bytes inside `len` after the last field; zero, ignored by readers.

      connection_data:
        doc: |
          One client connection: a guest's shared ring or a local socket, with the request it was
          receiving and the replies it had not yet sent. Its watches follow it in the stream.
        seq:
          - id: conn_id
            -orig-id: conn-id
            type: u4
            valid:
              min: 1
            doc: Number of the connection, never 0; later records name their connection by it.
          - id: conn_type
            -orig-id: conn-type
            type: u2
            enum: conn_type
            doc: Kind of connection, which decides how `conn_spec` reads.
          - id: fields
            type: u2
            doc: |
              Bit 0: `unique_id` follows the data. Other bits are zero. (Xen 4.17 wrote a zero pad
              here; a 2020 draft used bit 0 for a read-only socket.)
          - id: conn_spec
            -orig-id: conn-spec
            size: 8
            type:
              switch-on: conn_type
              cases:
                conn_type::shared_ring: ring_spec
                conn_type::socket: socket_spec
            doc: Where the connection leads; 8 bytes whose layout depends on `conn_type`.
          - id: in_data_len
            -orig-id: in-data-len
            type: u2
            doc: Bytes of `in_data`.
          - id: out_resp_len
            -orig-id: out-resp-len
            type: u2
            doc: |
              How many bytes at the start of `out_data` belong to a reply that was partly sent
              already; counted inside `out_data_len`, not in addition to it.
          - id: out_data_len
            -orig-id: out-data-len
            type: u4
            doc: Bytes of `out_data`.
          - id: in_data
            -orig-id: data
            size: in_data_len
            doc: |
              A request received only in part: its 16-byte wire header (type, req-id, tx-id, len)
              and whatever of its payload had arrived.
          - id: out_data
            -orig-id: data
            size: out_data_len
            doc: Whole replies and watch events queued for the client, each with its wire header.
          - id: data_pad
            size: (8 - _io.pos % 8) % 8
            if: (fields & 1) != 0
            doc: Zero bytes that put `unique_id` on an 8-byte boundary of the body.
          - id: unique_id
            -orig-id: unique-id
            type: u8
            if: (fields & 1) != 0
            doc: |
              Identity of the guest domain as the hypervisor reports it, so that a domain id
              reused after a guest died is noticed. xenstored 4.21 and later set it for every
              ring connection.
          - id: padding
            size-eos: true
            doc: Bytes inside `len` after the last field; zero, ignored by readers.
        instances:
          has_unique_id:
            value: (fields & 1) != 0
            doc: True when `unique_id` is present.

      ring_spec:
        doc: conn_spec of a guest domain talking over a shared ring page.
        seq:
          - id: domid
            type: u2
            doc: The guest domain at the far end of the ring.
          - id: tdomid
            type: u2
            doc: |
              Domain on whose behalf the guest acts (set by SET_TARGET, as for a device-model
              stub domain); 0x7FF4 (DOMID_INVALID) when it has no target.
          - id: evtchn
            type: u4
            doc: Event channel port the daemon uses to signal the guest.
        instances:
          has_target:
            value: tdomid != domid_reserved::domid_invalid.to_i
            doc: True when the guest acts on behalf of another domain.

      socket_spec:
        doc: conn_spec of a local client on a Unix socket.
        seq:
          - id: socket_fd
            -orig-id: socket-fd
            type: s4
            doc: The socket's file descriptor, inherited by the new daemon.
          - id: pad
            type: u4
            doc: Unused, zero.

      watch_data:
        doc: A watch a connection registered, firing for its path and everything below it.
        seq:
          - id: conn_id
            -orig-id: conn-id
            type: u4
            doc: Connection that registered the watch.
          - id: wpath_len
            -orig-id: wpath-len
            type: u2
            valid:
              min: 1
            doc: Bytes of the watched path including its terminating NUL.
          - id: token_len
            -orig-id: token-len
            type: u2
            valid:
              min: 1
            doc: Bytes of the token including its terminating NUL.
          - id: wpath
            size: wpath_len - 1
            type: str
            encoding: ISO-8859-1
            doc: Watched path, absolute or relative to the guest's home, or an @-special name.
          - id: wpath_nul
            contents: [0]
            doc: The NUL that ends `wpath`.
          - id: token
            size: token_len - 1
            type: str
            encoding: ISO-8859-1
            doc: Text the client chose; it comes back with every event of this watch.
          - id: token_nul
            contents: [0]
            doc: The NUL that ends `token`.
          - id: padding
            size-eos: true
            doc: Bytes inside `len` after the last field; zero, ignored by readers.

      watch_data_extended:
        doc: |
          A watch limited to a number of directory levels below its path (version 2 and up).
          Streams from Xen 4.22's writer, which omits `depth` and `pad`, are out of scope (see the
          top-level description).
        seq:
          - id: conn_id
            -orig-id: conn-id
            type: u4
            doc: Connection that registered the watch.
          - id: wpath_len
            -orig-id: wpath-len
            type: u2
            valid:
              min: 1
            doc: Bytes of the watched path including its terminating NUL.
          - id: token_len
            -orig-id: token-len
            type: u2
            valid:
              min: 1
            doc: Bytes of the token including its terminating NUL.
          - id: depth
            type: u2
            doc: |
              How many levels below `wpath` still fire the watch (0 the path alone); 0xFFFF
              means no limit, which makes it equal to a plain watch.
          - id: pad
            type: u2
            doc: Unused, zero.
          - id: wpath
            size: wpath_len - 1
            type: str
            encoding: ISO-8859-1
            doc: Watched path, absolute or relative to the guest's home, or an @-special name.
          - id: wpath_nul
            contents: [0]
            doc: The NUL that ends `wpath`.
          - id: token
            size: token_len - 1
            type: str
            encoding: ISO-8859-1
            doc: Text the client chose; it comes back with every event of this watch.
          - id: token_nul
            contents: [0]
            doc: The NUL that ends `token`.
          - id: padding
            size-eos: true
            doc: Bytes inside `len` after the last field; zero, ignored by readers.
        instances:
          depth_unlimited:
            value: depth == 0xffff
            doc: True when the depth puts no limit on the watch.

      transaction_data:
        doc: |
          A transaction a connection had open. xenstored never writes this record and ignores
          it when reading: live update waits for transactions to finish, or is forced.
        seq:
          - id: conn_id
            -orig-id: conn-id
            type: u4
            doc: Connection that opened the transaction.
          - id: tx_id
            -orig-id: tx-id
            type: u4
            doc: The transaction's id as the client knows it.
          - id: padding
            size-eos: true
            doc: Bytes inside `len` after the last field; zero, ignored by readers.

      node_data:
        doc: |
          One node: a committed node of the tree, or a node a pending transaction read, wrote
          or deleted.
        -webide-representation: '{path}'
        seq:
          - id: conn_id
            -orig-id: conn-id
            type: u4
            doc: 0 for a node of the committed tree; otherwise the connection whose transaction holds it.
          - id: tx_id
            -orig-id: tx-id
            type: u4
            doc: Transaction that holds the node; meaningless when `conn_id` is 0.
          - id: path_len
            -orig-id: path-len
            type: u2
            valid:
              min: 1
            doc: Bytes of the path including its terminating NUL.
          - id: value_len
            -orig-id: value-len
            type: u2
            doc: Bytes of the value.
          - id: access
            type: u2
            enum: node_access
            doc: For a transaction's node, what the transaction did with it; 0 on committed nodes.
          - id: perm_count
            -orig-id: perm-count
            type: u2
            doc: Number of entries in `perms`.
          - id: perms
            type: permission
            repeat: expr
            repeat-expr: perm_count
            doc: Access list; the first entry names the owner and the access everybody else gets.
          - id: path
            size: path_len - 1
            type: str
            encoding: ISO-8859-1
            doc: Absolute path of the node, or a special name starting with `@`.
          - id: path_nul
            contents: [0]
            doc: The NUL that ends `path`.
          - id: value
            size: value_len
            doc: Contents of the node; any bytes, NUL included, and may be empty.
          - id: padding
            size-eos: true
            doc: Bytes inside `len` after the last field; zero, ignored by readers.

      permission:
        doc: One entry of a node's access list.
        -webide-representation: '{perm}{domid:dec}'
        seq:
          - id: perm
            type: u1
            enum: perm_letter
            valid:
              in-enum: true
            doc: What the domain may do, as one ASCII letter.
          - id: flags
            type: u1
            doc: |
              Bit 0: the entry is stale (its domain has gone) and access checks skip it. Earlier
              revisions called this byte padding.
          - id: domid
            type: u2
            doc: Domain the entry is for; 0x7FF5 (DOMID_ANY) stands for every domain.
        instances:
          is_stale:
            value: (flags & 1) != 0
            doc: True when checks ignore this entry.

      global_quota_data:
        doc: |
          Quotas of the daemon: defaults given to each new domain, then limits for the daemon
          as a whole. Values and names are two lists in the same order.
        seq:
          - id: n_dom_quota
            -orig-id: n-dom-quota
            type: u2
            doc: How many of the quotas are per-domain defaults (they come first).
          - id: n_glob_quota
            -orig-id: n-glob-quota
            type: u2
            doc: How many are limits of the whole daemon (they follow the defaults).
          - id: quota_val
            -orig-id: quota-val
            type: u4
            repeat: expr
            repeat-expr: n_dom_quota + n_glob_quota
            doc: Quota values, defaults first; 0 means no limit.
          - id: quota_names
            type: strz
            encoding: ISO-8859-1
            repeat: expr
            repeat-expr: n_dom_quota + n_glob_quota
            doc: |
              Name of each value, in the same order (`nodes`, `watches`, `transactions`,
              `soft-memory` ...). Names a reader does not know are kept or skipped, never an error.
          - id: padding
            size-eos: true
            doc: Bytes inside `len` after the last field; zero, ignored by readers.

      domain_data:
        doc: What the daemon knows about one domain beyond its connection; at most one per domain.
        seq:
          - id: domain_id
            -orig-id: domain-id
            type: u2
            doc: The domain described.
          - id: n_quota
            -orig-id: n-quota
            type: u2
            doc: Number of quotas set for this domain.
          - id: features
            type: u4
            doc: |
              Server feature bits this guest sees on its ring page (numbered by `server_feature`).
              Meaningful in version 2 only; a version-1 stream holds zero here.
          - id: quota_val
            -orig-id: quota-val
            type: u4
            repeat: expr
            repeat-expr: n_quota
            doc: The domain's quota values; 0 means no limit.
          - id: quota_names
            type: strz
            encoding: ISO-8859-1
            repeat: expr
            repeat-expr: n_quota
            doc: Name of each value, in the same order.
          - id: padding
            size-eos: true
            doc: Bytes inside `len` after the last field; zero, ignored by readers.
        instances:
          has_reconnection:
            value: ((features >> server_feature::reconnection.to_i) & 1) == 1
            doc: Feature bit 0 is set.
          has_error_indicator:
            value: ((features >> server_feature::error_indicator.to_i) & 1) == 1
            doc: Feature bit 1 is set.
          has_watch_depth:
            value: ((features >> server_feature::watch_depth.to_i) & 1) == 1
            doc: Feature bit 2 is set.
          has_domid_any:
            value: ((features >> server_feature::domid_any.to_i) & 1) == 1
            doc: Feature bit 3 is set.

enums:
  record_type:
    0:
      id: end
      doc: Last record of the stream; empty body.
    1:
      id: global_data
      doc: Descriptors the daemon keeps.
    2:
      id: connection_data
      doc: A client connection and its pending traffic.
    3:
      id: watch_data
      doc: A watch without a depth limit.
    4:
      id: transaction_data
      doc: An open transaction.
    5:
      id: node_data
      doc: A node, committed or inside a transaction.
    6:
      id: global_quota_data
      doc: Quota defaults and daemon-wide quotas.
    7:
      id: domain_data
      doc: Per-domain features and quotas.
    8:
      id: watch_data_extended
      doc: A watch with a depth limit (version 2 and up).
  conn_type:
    0:
      id: shared_ring
      doc: A guest domain on a shared memory page with an event channel.
    1:
      id: socket
      doc: A local process on a Unix socket.
  node_access:
    0:
      id: deleted
      doc: The transaction deleted the node (committed nodes also carry 0).
    1:
      id: read
      doc: The transaction read the node.
    2:
      id: written
      doc: The transaction wrote the node.
  perm_letter:
    0x6e:
      id: none
      doc: "`n`: no access (for the owner entry: others get none)."
    0x72:
      id: read
      doc: "`r`: read only."
    0x77:
      id: write
      doc: "`w`: write only."
    0x62:
      id: both
      doc: "`b`: read and write."
  server_feature:
    0:
      id: reconnection
      doc: The ring can be reconnected (bit 0).
    1:
      id: error_indicator
      doc: The server can flag a connection error on the ring page (bit 1).
    2:
      id: watch_depth
      doc: WATCH accepts a depth parameter (bit 2).
    3:
      id: domid_any
      doc: Permissions may name DOMID_ANY (bit 3).
  domid_reserved:
    0x7ff0:
      id: domid_self
      doc: The calling domain itself.
    0x7ff1:
      id: domid_io
      doc: The I/O domain.
    0x7ff2:
      id: domid_xen
      doc: The hypervisor.
    0x7ff3:
      id: domid_cow
      doc: Copy-on-write shared pages.
    0x7ff4:
      id: domid_invalid
      doc: No domain; `tdomid` of a guest without a target.
    0x7ff5:
      id: domid_any
      doc: Every domain, in a permission entry.
    0x7fff:
      id: domid_idle
      doc: The idle domain.
