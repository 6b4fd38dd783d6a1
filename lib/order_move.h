/* order_move.h - private to lib/ (like db.h): order_move() in its two
 * halves, for a module that sends a status change in one round trip with
 * other statements (fulfil.c, with db_exec_steps()). */
#ifndef BAKERY_ORDER_MOVE_H
#define BAKERY_ORDER_MOVE_H

#include "db.h"
#include "order.h"

/* The one INSERT INTO order_history: a CTE writing the event (order id,
 * from, to, reason) given by cols for each row of the CTE src. Every
 * statement that changes a status writes its event with it. */
#define HISTORY_CTE(cols, src)                                                  \
	" h AS (INSERT INTO order_history (order_id, from_status, to_status, reason)" \
	"  SELECT " cols " FROM " src ")"

/* The text parameters of one move; filled by order_move_step(). */
struct order_move_args {
	char id[24], add[12];
	const char *params[5];
};

/* The step that runs move m (its statement, and its parameters in a,
 * which must outlive the step). */
void order_move_step(const struct order_move *m, struct order_move_args *a, struct db_step *step);

/* The text parameters of a move of several orders; filled by
 * order_moves_step(), ids freed by the caller (free(a->ids)). */
struct order_moves_args {
	char *ids, add[12];
	const char *params[5];
};

/* The step that moves those of ids[0..n) still in m->from as m says
 * (m->id unused; MOVER_WORKER's statement): its result is a row with the
 * id of each order that moved. 0, or -1 out of memory (logged). */
int order_moves_step(const struct order_move *m, const long long *ids, int n,
		     struct order_moves_args *a, struct db_step *step);

/* What the move step's result res says (not cleared), as order_move(). */
enum order_move_result order_move_result(const PGresult *res, const struct order_move *m,
					 enum order_status *now);

#endif
