/* Mock Supervisor and Naming for the shell (see svctest.h). */
#include "svctest.h"

v_handle mock_accept_tx, mock_accept_rx;

void mock_serve_shell(void)
{
}
