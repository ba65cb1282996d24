package main

// queue holds pending connections oldest first, the idle ones apart so
// that they can be closed first (an address's queue has only heads). Its lists are intrusive (the links live in
// the connection) so that a keep-alive connection going idle and active
// again allocates nothing.
type queue struct {
	idle, heads connList
	n           int
}

func (q *queue) init() {
	q.idle.init()
	q.heads.init()
}

func (q *queue) push(l *link, idle bool) {
	q.list(idle).pushBack(l)
	q.n++
}

func (q *queue) remove(l *link, idle bool) {
	q.list(idle).remove(l)
	q.n--
}

// oldest returns the connection to close first: the oldest idle one, else
// the oldest still sending its head; nil if the queue is empty.
func (q *queue) oldest() *gatedConn {
	if c := q.idle.front(); c != nil {
		return c
	}
	return q.heads.front()
}

func (q *queue) list(idle bool) *connList {
	if idle {
		return &q.idle
	}
	return &q.heads
}

// link is a connection's place in one list.
type link struct {
	prev, next *link
	conn       *gatedConn
}

// connList is a doubly linked list around a sentinel: root.next is the
// oldest entry, root.prev the newest.
type connList struct{ root link }

func (l *connList) init() { l.root.prev, l.root.next = &l.root, &l.root }

func (l *connList) pushBack(e *link) {
	e.prev, e.next = l.root.prev, &l.root
	l.root.prev.next = e
	l.root.prev = e
}

func (l *connList) remove(e *link) {
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
}

func (l *connList) front() *gatedConn {
	if l.root.next == &l.root {
		return nil
	}
	return l.root.next.conn
}
