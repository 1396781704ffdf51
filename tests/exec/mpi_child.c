/* An MPI program run as an exec job by an MPI worker rank: it must come up as its own singleton
   (size 1), not as a rank of the sweep's MPI job. Writes {"metrics": {...}} to argv[1]. */
#include <mpi.h>
#include <stdio.h>

int main(int argc, char** argv) {
    int rank = -1, size = -1;
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    FILE* out = argc > 1 ? fopen(argv[1], "w") : NULL;
    if (out == NULL) return 2;
    fprintf(out, "{\"metrics\": {\"child_rank\": %d, \"child_size\": %d}}\n", rank, size);
    fclose(out);
    MPI_Finalize();
    return 0;
}
