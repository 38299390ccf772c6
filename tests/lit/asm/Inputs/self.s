; includes itself, forever
        .include "self.s"
