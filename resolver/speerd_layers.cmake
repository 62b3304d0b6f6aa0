# speerd_folder_library(NAME <lib> FOLDER <dir> [SOURCES ...] MAY_INCLUDE <dir>... LINK <lib>...)
#
# One folder, one library. Its dependencies are declared twice over in one
# call: LINK for the linker, MAY_INCLUDE (folders, from the repository root)
# for the includes. Before the library compiles, tools/check-layers reads
# every file of FOLDER and fails the build on an include of a folder that is
# not listed, so a stage cannot include a stage above it.
include_guard(GLOBAL)
find_package(Python3 REQUIRED COMPONENTS Interpreter)

function(speerd_folder_library)
  cmake_parse_arguments(L "" "NAME;FOLDER" "SOURCES;MAY_INCLUDE;LINK" ${ARGN})
  file(GLOB files CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/${L_FOLDER}/*.hpp
       ${CMAKE_SOURCE_DIR}/${L_FOLDER}/*.cpp)
  set(stamp ${CMAKE_CURRENT_BINARY_DIR}/${L_NAME}.layers)
  add_custom_command(OUTPUT ${stamp}
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tools/check-layers
            --root ${CMAKE_SOURCE_DIR} --folder ${L_FOLDER} --may-include ${L_MAY_INCLUDE}
    COMMAND ${CMAKE_COMMAND} -E touch ${stamp}
    DEPENDS ${files} ${CMAKE_SOURCE_DIR}/tools/check-layers
    COMMENT "Checking the includes of ${L_FOLDER}/"
    VERBATIM)
  add_custom_target(${L_NAME}_layers DEPENDS ${stamp})
  if(L_SOURCES)
    add_library(${L_NAME} STATIC ${L_SOURCES})
    target_link_libraries(${L_NAME} PUBLIC ${L_LINK})
  else()
    add_library(${L_NAME} INTERFACE)
    target_link_libraries(${L_NAME} INTERFACE ${L_LINK})
  endif()
  add_dependencies(${L_NAME} ${L_NAME}_layers)
endfunction()
