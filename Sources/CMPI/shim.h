// Open MPI's handles (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM, ...) are macros that cast the addresses of
// global symbols; Swift imports no such macro, so these functions hand them over.
#include <mpi.h>

static inline MPI_Comm rad_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype rad_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype rad_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype rad_mpi_byte(void) { return MPI_BYTE; }
static inline MPI_Datatype rad_mpi_int64(void) { return MPI_INT64_T; }
static inline MPI_Datatype rad_mpi_int32(void) { return MPI_INT32_T; }
static inline MPI_Op rad_mpi_sum(void) { return MPI_SUM; }
static inline MPI_Op rad_mpi_max(void) { return MPI_MAX; }
static inline void *rad_mpi_in_place(void) { return MPI_IN_PLACE; }
static inline int rad_mpi_success(void) { return MPI_SUCCESS; }
